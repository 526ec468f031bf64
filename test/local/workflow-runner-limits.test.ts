// The local workflow runner refuses and fails what Step Functions and Lambda would: a state's
// payload over 256 KiB (States.DataLimitExceeded, past every Retry and Catch), a task past its
// Lambda timeout (Sandbox.Timedout) or its state's TimeoutSeconds (States.Timeout), a bad
// execution name (InvalidName), a reused one (ExecutionAlreadyExists), more than 40 Map
// iterations at once, and a history past 25,000 events. Small ASL definitions run on the real
// runner; hooks stand in for tasks.
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../lambdas/api/api-context';
import type { AppContext } from '../../lambdas/app/context';
import { runTask } from '../../lambdas/app/task';
import { STEP_FUNCTIONS } from '../../lambdas/core/aws-limits';
import { ExecutionAlreadyExistsError, InvalidExecutionNameError } from '../../lambdas/core/execution-errors';
import type { WorkflowExecution } from '../../lambdas/core/ports';
import { TASKS } from '../../lambdas/tasks/registry';
import { waitForExecution } from '../../lambdas/workflows/wait-execution';
import { type LocalWorkflowOptions, LocalWorkflowRunner } from '../../local/workflow-runner';
import { type AslDefinition, loadWorkflow } from '../../statemachines/asl';
import { type TaskHook, taskHooks } from '../support/task-hooks';

const KiB = 1024;

/** A runner whose 'reconcile-all' (and 'migrate') is the given definition, its tasks the given hooks. */
function runner(
  definition: AslDefinition,
  hooks: Record<string, TaskHook>,
  options: LocalWorkflowOptions = {},
) {
  const th = taskHooks();
  Object.assign(th.hooks, hooks);
  return new LocalWorkflowRunner(() => ({}) as ApiContext, {
    retryIntervalMs: 0,
    wrapTask: th.wrapTask,
    definitions: { 'reconcile-all': definition, migrate: definition },
    ...options,
  });
}

async function run(workflows: LocalWorkflowRunner, name: string, input: Record<string, unknown> = {}) {
  const { id } = await workflows.start('reconcile-all', name, input);
  return (await waitForExecution(workflows, id, 60_000)) as WorkflowExecution;
}

const task = (resource: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: `\${${resource}}`,
  TimeoutSeconds: 60,
  ...extra,
});

describe('payload limit', () => {
  it('fails the execution when a task returns over 256 KiB, past its Retry and Catch', async () => {
    let calls = 0;
    const workflows = runner(
      {
        StartAt: 'Big',
        States: {
          Big: task('ListNodes', {
            Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          }),
          Caught: { Type: 'Pass', End: true },
        },
      } as AslDefinition,
      {
        ListNodes: async () => {
          calls++;
          return 'x'.repeat(STEP_FUNCTIONS.payloadBytes);
        },
      },
    );
    const done = await run(workflows, 'big-result');
    expect(done.status).toBe('FAILED');
    expect(done.error).toEqual({
      error: 'States.DataLimitExceeded',
      cause: 'the result of state Big is 262146 bytes, over the 262144-byte limit',
    });
    expect(calls).toBe(1);
  });

  it("fails the execution when a state's output is over 256 KiB though its result fits, before the next state runs", async () => {
    let nextRan = false;
    const workflows = runner(
      {
        StartAt: 'Merge',
        States: {
          Merge: task('ListNodes', { ResultPath: '$.result', Next: 'After' }),
          After: task('MarkReady', { End: true }),
        },
      } as AslDefinition,
      {
        ListNodes: async () => 'r'.repeat(200 * KiB),
        MarkReady: async () => {
          nextRan = true;
          return null;
        },
      },
    );
    const done = await run(workflows, 'big-output', { carried: 'c'.repeat(100 * KiB) });
    expect(done.status).toBe('FAILED');
    expect(done.error?.error).toBe('States.DataLimitExceeded');
    expect(done.error?.cause).toMatch(/^the output of state Merge is \d+ bytes, over the 262144-byte limit$/);
    expect(nextRan).toBe(false);
  });

  it('lets a payload just under the limit through', async () => {
    const workflows = runner(
      { StartAt: 'Fits', States: { Fits: task('ListNodes', { End: true }) } } as AslDefinition,
      {
        ListNodes: async () => 'x'.repeat(STEP_FUNCTIONS.payloadBytes - 2),
      },
    );
    expect((await run(workflows, 'fits')).status).toBe('SUCCEEDED');
  });
});

describe('task timeouts', () => {
  const hang = () => new Promise<never>(() => undefined);

  it('fails a task that runs past its Lambda timeout with Sandbox.Timedout, which Catch can match', async () => {
    const workflows = runner(
      {
        StartAt: 'Slow',
        States: {
          Slow: task('ListNodes', {
            Catch: [{ ErrorEquals: ['Sandbox.Timedout'], Next: 'Caught' }],
            End: true,
          }),
          Caught: { Type: 'Pass', End: true },
        },
      } as AslDefinition,
      { ListNodes: hang },
      { taskTimeoutMs: { ListNodes: 50 } },
    );
    const done = await run(workflows, 'slow-caught');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual({ Error: 'Sandbox.Timedout', Cause: 'Task timed out after 0.05 seconds' });
  });

  it('fails the execution with Sandbox.Timedout when nothing catches it', async () => {
    const workflows = runner(
      { StartAt: 'Slow', States: { Slow: task('ListNodes', { End: true }) } } as AslDefinition,
      {
        ListNodes: hang,
      },
      { taskTimeoutMs: { ListNodes: 50 } },
    );
    expect((await run(workflows, 'slow')).error).toEqual({
      error: 'Sandbox.Timedout',
      cause: 'Task timed out after 0.05 seconds',
    });
  });

  it("fails with States.Timeout when the state's TimeoutSeconds comes before the Lambda timeout", async () => {
    const workflows = runner(
      {
        StartAt: 'Slow',
        States: { Slow: task('ListNodes', { TimeoutSeconds: 1, End: true }) },
      } as AslDefinition,
      { ListNodes: hang },
      { taskTimeoutMs: { ListNodes: 5_000 } },
    );
    expect((await run(workflows, 'slow-state')).error?.error).toBe('States.Timeout');
  });

  it("uses the task's own budget when not told otherwise", async () => {
    const workflows = runner(
      { StartAt: 'Quick', States: { Quick: task('ListNodes', { End: true }) } } as AslDefinition,
      {
        ListNodes: async () => 'done',
      },
    );
    expect((await run(workflows, 'quick')).output).toBe('done');
  });
});

describe('execution names', () => {
  const gated = () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const workflows = runner(
      { StartAt: 'Wait', States: { Wait: task('ListNodes', { End: true }) } } as AslDefinition,
      {
        ListNodes: async () => {
          await gate;
          return 'ok';
        },
      },
    );
    return { workflows, open };
  };

  it('refuses a name over 80 characters or with a character Step Functions does not allow', async () => {
    const { workflows } = gated();
    await expect(workflows.start('reconcile-all', 'x'.repeat(81), {})).rejects.toThrow(
      InvalidExecutionNameError,
    );
    await expect(workflows.start('reconcile-all', 'two words', {})).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(workflows.start('reconcile-all', 'a/b', {})).rejects.toThrow(/U\+002F/);
    expect(await workflows.list({ limit: 10 })).toEqual([]);
  });

  it('returns the running execution for the same name and input, and refuses other input', async () => {
    const { workflows, open } = gated();
    const first = await workflows.start('reconcile-all', 'same', { a: 1 });
    expect(await workflows.start('reconcile-all', 'same', { a: 1 })).toEqual(first);
    const other = workflows.start('reconcile-all', 'same', { a: 2 });
    await expect(other).rejects.toThrow(ExecutionAlreadyExistsError);
    await expect(other).rejects.toMatchObject({ executionId: first.id });
    open();
    await workflows.settle();
    expect(await workflows.list({ limit: 10 })).toHaveLength(1);
  });

  it('refuses a name a finished execution used, whatever the input', async () => {
    const { workflows, open } = gated();
    open();
    const first = await workflows.start('reconcile-all', 'done-once', { a: 1 });
    await workflows.settle();
    expect((await workflows.describe(first.id))?.status).toBe('SUCCEEDED');
    await expect(workflows.start('reconcile-all', 'done-once', { a: 1 })).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      executionId: first.id,
    });
    // Names are per state machine.
    await expect(workflows.start('migrate', 'done-once', {})).resolves.toHaveProperty('id');
    await workflows.settle();
  });
});

describe('a task that starts a workflow', () => {
  it('finds the cleanup it started when it runs again, running or finished, and starts no second one', async () => {
    const workflows = new LocalWorkflowRunner(() => ({}) as ApiContext, {
      definitions: {
        'startup-cleanup': {
          StartAt: 'Done',
          States: { Done: { Type: 'Pass', End: true } },
        } as AslDefinition,
      },
    });
    const input = { scanned: [{ unknown: [{ shard: 'a', node: 1 }] }], execution: 'startup-1a2b3c4d' };
    const context = { workflows } as unknown as AppContext;
    const first = await runTask(TASKS.StartCleanup!, input, context);
    await workflows.settle();
    expect(await runTask(TASKS.StartCleanup!, input, context)).toEqual(first);
    expect(await workflows.list({ limit: 10 })).toHaveLength(1);
  });
});

describe('inline Map', () => {
  it('runs at most 40 iterations at once, whatever MaxConcurrency says', async () => {
    let inFlight = 0;
    let most = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const items = Array.from({ length: 60 }, (_, i) => i);
    const workflows = runner(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 100,
            ItemProcessor: { StartAt: 'One', States: { One: task('DetachUnknown', { End: true }) } },
            End: true,
          },
        },
      } as AslDefinition,
      {
        DetachUnknown: async (input) => {
          most = Math.max(most, ++inFlight);
          if (inFlight >= STEP_FUNCTIONS.inlineMapMaxConcurrency) open();
          await gate;
          inFlight--;
          return input;
        },
      },
    );
    const done = await run(workflows, 'map', { items });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.output).toEqual(items);
    expect(most).toBe(STEP_FUNCTIONS.inlineMapMaxConcurrency);
  });
});

describe('history limit', () => {
  it('fails an execution whose history passes 25,000 events (a loop that never ends), as Step Functions does', async () => {
    // Pass and Choice fields are not among the ones AslState names (the runner passes them through).
    const endless = {
      StartAt: 'Poll',
      States: {
        Poll: { Type: 'Pass', Next: 'Again' },
        Again: {
          Type: 'Choice',
          Choices: [{ Variable: '$.done', IsPresent: true, Next: 'Done' }],
          Default: 'Poll',
        },
        Done: { Type: 'Succeed' },
      },
    } as AslDefinition;
    const workflows = runner(endless, {});
    const done = await run(workflows, 'endless');
    expect(done.status).toBe('FAILED');
    expect(done.error).toEqual({
      error: 'States.Runtime',
      cause: `The execution reached the maximum number of history events (${STEP_FUNCTIONS.executionHistoryEvents}).`,
    });
    // A loop that ends in time is not touched.
    const finite = await run(workflows, 'finite', { done: true });
    expect(finite.status).toBe('SUCCEEDED');
  });
});

describe('reconcile-all within the history limit', () => {
  it('stops after 20 pages of dirty shards and succeeds, where one pass over them all would pass 25,000 events', async () => {
    // An endless dirty index: every page full, always another after it.
    let pages = 0;
    const workflows = runner(loadWorkflow('reconcile-all').definition, {
      FindUnknownLocations: async () => ({ learned: 0, detached: 0, unlisted: [] }),
      ListDirty: async () => {
        pages += 1;
        return { ids: Array.from({ length: 100 }, (_, i) => `shard-${pages}-${i}`), next: `after-${pages}` };
      },
      ReconcileShard: async (input) => ({
        shard: (input as { shard: string }).shard,
        status: 'ok',
        started: true,
      }),
    });
    const done = await run(workflows, 'endless-dirty', { cursor: null });
    expect(done.status, JSON.stringify(done.error)).toBe('SUCCEEDED');
    expect(pages).toBe(20);
    expect(done.output).toEqual({ reconciles: 2000 });
  }, 120_000);
});
