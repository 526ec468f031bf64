// Every ASL file is valid, names only registered tasks (and every task is used somewhere), gives
// every Task a timeout covering its Lambda's and a retry policy, ends a failure in a Fail state
// carrying the caught error, and matches only on error names that can occur.
import { readdirSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';
import { timeoutChain } from '../../lambdas/core/timeouts';
import { WORKFLOW_ERRORS } from '../../lambdas/core/workflow-errors';
import { TASK_LIST, TASKS } from '../../lambdas/tasks/registry';
import { loadDefinition } from '../../local/workflow-runner';
import {
  type AslDefinition,
  errorNames,
  loadWorkflow,
  STATEMACHINES_DIR,
  STATES_ERRORS,
  walkStates,
} from '../../statemachines/asl';

const files = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json'));

const KNOWN_ERRORS = new Set<string>([...STATES_ERRORS, ...Object.values(WORKFLOW_ERRORS)]);

/** `path: name` for every name a Retry or Catch matches on that neither a task nor States raises. */
function unknownErrorNames(definition: AslDefinition): string[] {
  return [...walkStates(definition)].flatMap(({ path, state }) =>
    errorNames(state)
      .filter((name) => !KNOWN_ERRORS.has(name))
      .map((name) => `${path.join('.')}: ${name}`),
  );
}

describe('state machine files', () => {
  it('exist for exactly the workflows', () => {
    expect(files.map((f) => f.replace('.asl.json', '')).sort()).toEqual([...WORKFLOWS].sort());
  });

  it('use every registered task at least once', () => {
    const used = new Set(WORKFLOWS.flatMap((w) => loadWorkflow(w).placeholders));
    expect(TASK_LIST.map((t) => t.name).filter((name) => !used.has(name))).toEqual([]);
  });

  for (const file of files) {
    const workflow = file.replace('.asl.json', '') as WorkflowName;
    it(`${file} passes asl-validator`, () => {
      const result = validator(loadDefinition(workflow) as never);
      expect(result.errors, JSON.stringify(result.errors)).toEqual([]);
      expect(result.isValid).toBe(true);
    });

    it(`${file} uses registered tasks, each with a retry policy and a timeout past its Lambda's`, () => {
      const { definition, placeholders } = loadWorkflow(workflow);
      for (const name of placeholders) expect(Object.keys(TASKS)).toContain(name);
      let taskStates = 0;
      for (const { path, state, task } of walkStates(definition)) {
        if (state.Type !== 'Task') continue;
        taskStates++;
        const where = path.join('.');
        // Both runtimes only know tasks named by placeholder (CDK substitutes, the runner maps).
        expect(task, `${where}: Resource ${state.Resource}`).toBeDefined();
        // The Lambda (cold start included) always gives up first: a retry never runs beside it.
        const least = timeoutChain('task', TASKS[task!]!.budgetSeconds).outerTimeoutSeconds;
        expect(state.TimeoutSeconds, where).toBeGreaterThanOrEqual(least);
        expect(state.Retry?.length, where).toBeGreaterThan(0);
      }
      expect(taskStates).toBeGreaterThan(0);
    });

    it(`${file} ends in failure only through Fail states that carry the caught error and cause`, () => {
      for (const { path, state } of walkStates(loadWorkflow(workflow).definition)) {
        if (state.Type !== 'Fail') continue;
        // Both paths point where every Catch leading here puts the error (ResultPath $.error).
        expect(state, path.join('.')).toMatchObject({
          ErrorPath: '$.error.Error',
          CausePath: '$.error.Cause',
        });
      }
    });

    it(`${file} matches only on States.* names and workflow error names`, () => {
      expect(unknownErrorNames(loadWorkflow(workflow).definition)).toEqual([]);
    });
  }

  it('catches an error name nothing raises, planted in a copy of a definition', () => {
    const copy = structuredClone(loadWorkflow('reconcile-all').definition);
    // A misspelt task error deep inside a Map, and a misspelt States name at the top.
    copy.States.ReconcileShards!.ItemProcessor!.States.ReconcileShard!.Catch![0]!.ErrorEquals.push(
      'Transeint',
    );
    copy.States.ListDirty!.Retry![0]!.ErrorEquals.push('States.Timout');
    expect(unknownErrorNames(copy)).toEqual([
      'ListDirty: States.Timout',
      'ReconcileShards.ItemProcessor.ReconcileShard: Transeint',
    ]);
    expect(unknownErrorNames(loadWorkflow('reconcile-all').definition)).toEqual([]);
  });
});

describe('the ASL walker', () => {
  it('visits states nested in Map (ItemProcessor and Iterator) and Parallel branches, with their paths', () => {
    const definition: AslDefinition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Both',
            States: {
              Both: {
                Type: 'Parallel',
                Branches: [
                  { StartAt: 'A', States: { A: { Type: 'Task', Resource: `\${TaskA}` } } },
                  {
                    StartAt: 'B',
                    States: { B: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage' } },
                  },
                ],
              },
            },
          },
        },
        Legacy: {
          Type: 'Map',
          Iterator: { StartAt: 'C', States: { C: { Type: 'Task', Resource: `\${TaskC}` } } },
        },
        Done: { Type: 'Succeed' },
      },
    };
    expect([...walkStates(definition)].map((s) => [s.path.join('.'), s.name, s.task])).toEqual([
      ['Fan', 'Fan', undefined],
      ['Fan.ItemProcessor.Both', 'Both', undefined],
      ['Fan.ItemProcessor.Both.Branches[0].A', 'A', 'TaskA'],
      ['Fan.ItemProcessor.Both.Branches[1].B', 'B', undefined],
      ['Legacy', 'Legacy', undefined],
      ['Legacy.Iterator.C', 'C', 'TaskC'],
      ['Done', 'Done', undefined],
    ]);
  });
});
