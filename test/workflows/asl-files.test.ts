// Every ASL file is valid, names only registered tasks, and gives every Task a deadline.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';
import { TASKS } from '../../lambdas/tasks/registry';
import { loadDefinition } from '../../local/workflow-runner';

const files = readdirSync(join(import.meta.dirname, '..', '..', 'statemachines')).filter((f) =>
  f.endsWith('.asl.json'),
);

type State = {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: unknown[];
  ItemProcessor?: { States: Record<string, State> };
};

function tasks(states: Record<string, State>): Array<[string, State]> {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, State]] : []),
    ...(state.ItemProcessor ? tasks(state.ItemProcessor.States) : []),
  ]);
}

describe('state machine files', () => {
  it('exist for the workflows started so far', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(WORKFLOWS).toContain(file.replace('.asl.json', ''));
  });

  for (const file of files) {
    const workflow = file.replace('.asl.json', '') as WorkflowName;
    it(`${file} passes asl-validator`, () => {
      const { definition } = loadDefinition(workflow);
      const result = validator(definition as never);
      expect(result.errors, JSON.stringify(result.errors)).toEqual([]);
      expect(result.isValid).toBe(true);
    });

    it(`${file} uses registered tasks, each with a timeout and (but for RaiseFailure) a retry policy`, () => {
      const { definition, placeholders } = loadDefinition(workflow);
      for (const name of placeholders) expect(Object.keys(TASKS)).toContain(name);
      for (const [state, task] of tasks(
        (definition as unknown as { States: Record<string, State> }).States,
      )) {
        expect(task.TimeoutSeconds, state).toBeGreaterThan(0);
        if (!task.Resource?.endsWith(':RaiseFailure')) expect(task.Retry?.length, state).toBeGreaterThan(0);
      }
    });
  }
});
