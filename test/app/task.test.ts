// runTask validates a task's input before running it: a malformed input becomes a Rejected error
// (never retried) that names the task and the field; a good one reaches the task with any extra
// fields the state machine passes along, and a context whose deadline its budget gives.

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineTask, runTask } from '../../lambdas/app/task';
import { timeoutChain } from '../../lambdas/core/timeouts';
import { RejectedError, WORKFLOW_ERRORS } from '../../lambdas/core/workflow-errors';
import { TASK_LIST } from '../../lambdas/tasks/registry';
import { memoryWorld } from '../support/memory';

function echoTask(seen: unknown[]) {
  return defineTask({
    name: 'EchoTask',
    input: z.looseObject({ tenant_id: z.string(), count: z.number().int() }),
    budgetSeconds: 15,
    table: 'none',
    run: async (input, context) => {
      seen.push(input);
      return { got: input.count, deadline: context.deadline };
    },
  });
}

describe('runTask', () => {
  it('rejects a bad input with a Rejected error naming the task and the field, without running it', async () => {
    const seen: unknown[] = [];
    const error = await runTask(
      echoTask(seen),
      { tenant_id: 't', count: 'two' },
      memoryWorld().context,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RejectedError);
    expect((error as Error).name).toBe(WORKFLOW_ERRORS.Rejected);
    expect((error as Error).message).toContain('EchoTask');
    expect((error as Error).message).toContain('count');
    expect(seen).toEqual([]);
  });

  it('runs a good input and passes extra fields through', async () => {
    const seen: unknown[] = [];
    const input = { tenant_id: 't', count: 2, execution: 'exec-1', extra: { nested: true } };
    expect(await runTask(echoTask(seen), input, memoryWorld().context)).toMatchObject({ got: 2 });
    expect(seen).toEqual([input]);
  });

  it('gives the task a deadline: its code budget from the start of the invocation, below its Lambda timeout', async () => {
    const startedAt = Date.now() - 3_000;
    const { deadline } = (await runTask(
      echoTask([]),
      { tenant_id: 't', count: 1 },
      memoryWorld().context,
      startedAt,
    )) as { deadline: number };
    expect(deadline).toBe(startedAt + timeoutChain('task', 15).codeBudgetMs);
    expect(deadline).toBeLessThan(startedAt + 15_000);
  });

  it('rejects an empty input to every registered task that has required fields', async () => {
    const { context } = memoryWorld();
    // Some tasks (listings) take anything; every other one must refuse {} before touching state.
    const strict = TASK_LIST.filter((task) => !(task.input as z.ZodType).safeParse({}).success);
    expect(strict.length).toBeGreaterThan(10);
    for (const task of strict) {
      const error = await runTask(task, {}, context).catch((e: unknown) => e);
      expect(error, task.name).toBeInstanceOf(RejectedError);
      expect((error as Error).message).toContain(task.name);
    }
  });
});
