// An execution's steps from its history, in both runtimes' shapes: the local runner's event logs
// (aws-local-stepfunctions) and Step Functions' GetExecutionHistory events.
import { describe, expect, it } from 'vitest';
import { executionSteps, stepReached } from '../../lambdas/core/execution-steps';

const lambdaCause = (message: string) =>
  JSON.stringify({
    errorType: 'PageserverRefused',
    errorMessage: message,
    trace: ['PageserverRefused: x', '  at y'],
  });

/** A local event: `state` for state events, `parentState` for Map iterations. */
const local = (type: string, timestamp: number, name?: string, extra: Record<string, unknown> = {}) => {
  const stateType = (extra.stateType as string | undefined) ?? 'Task';
  const { stateType: _t, ...rest } = extra;
  if (type.startsWith('MapIteration'))
    return { type, timestamp, parentState: { name, type: 'Map' }, ...rest };
  return name === undefined
    ? { type, timestamp, ...rest }
    : { type, timestamp, state: { name, type: stateType }, ...rest };
};

describe('executionSteps (local runner history)', () => {
  it('lists top-level steps with durations; a Map counts its iterations and hides their states', () => {
    const history = [
      local('ExecutionStarted', 1000),
      local('StateEntered', 1000, 'AcquireLease'),
      local('StateExited', 1064, 'AcquireLease'),
      local('StateEntered', 1064, 'SplitParents', { stateType: 'Map' }),
      local('MapIterationStarted', 1064, 'SplitParents', { index: 0 }),
      local('MapIterationStarted', 1066, 'SplitParents', { index: 1 }),
      local('StateEntered', 1064, 'SplitParent', { index: 0 }),
      local('StateEntered', 1066, 'SplitParent', { index: 1 }),
      local('StateExited', 1140, 'SplitParent', { index: 0 }),
      local('MapIterationSucceeded', 1141, 'SplitParents', { index: 0 }),
      local('StateExited', 1150, 'SplitParent', { index: 1 }),
      local('MapIterationSucceeded', 1150, 'SplitParents', { index: 1 }),
      local('StateExited', 1150, 'SplitParents', { stateType: 'Map' }),
      local('StateEntered', 1150, 'Result', { stateType: 'Pass' }),
      local('StateExited', 1151, 'Result', { stateType: 'Pass' }),
      local('ExecutionSucceeded', 1151),
    ];
    const steps = executionSteps(history, false);
    expect(steps.map((s) => [s.name, s.type, s.status, s.durationMs])).toEqual([
      ['AcquireLease', 'Task', 'succeeded', 64],
      ['SplitParents', 'Map', 'succeeded', 86],
      ['Result', 'Pass', 'succeeded', 1],
    ]);
    expect(steps[1]!.iterations).toEqual({ started: 2, succeeded: 2, failed: 0 });
    expect(steps[0]!.iterations).toBeNull();
    expect(steps[0]!.startedAt).toBe(new Date(1000).toISOString());
  });

  it('marks a caught step with its error message (no trace) and the Fail step that ended the execution', () => {
    const cause = lambdaCause('location_config AttachedMulti on node 3: 500 injected fault');
    const history = [
      local('ExecutionStarted', 0),
      local('StateEntered', 0, 'AttachDestination'),
      local('StateFailed', 65, 'AttachDestination', { Error: 'PageserverRefused', Cause: cause }),
      local('StateCaught', 65, 'AttachDestination'),
      local('StateExited', 66, 'AttachDestination'),
      local('StateEntered', 66, 'AbortMigration'),
      local('StateExited', 600, 'AbortMigration'),
      local('StateEntered', 600, 'Failed', { stateType: 'Fail' }),
      local('StateFailed', 601, 'Failed', { stateType: 'Fail', Error: 'PageserverRefused', Cause: cause }),
      local('ExecutionFailed', 602, undefined, { Error: 'PageserverRefused', Cause: cause }),
    ];
    const steps = executionSteps(history, false);
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['AttachDestination', 'caught'],
      ['AbortMigration', 'succeeded'],
      ['Failed', 'failed'],
    ]);
    expect(steps[0]!.error).toEqual({
      error: 'PageserverRefused',
      cause: 'location_config AttachedMulti on node 3: 500 injected fault',
    });
    expect(steps[0]!.durationMs).toBe(65);
    expect(steps[1]!.error).toBeNull();
    expect(stepReached(steps)).toEqual({ name: 'Failed', status: 'failed' });
  });

  it('counts retries and keeps the error retried past; a running step has no end yet', () => {
    const history = [
      local('ExecutionStarted', 0),
      local('StateEntered', 0, 'Notify'),
      local('StateFailed', 10, 'Notify', { Error: 'ComputeHookFailed', Cause: 'hook 503' }),
      local('StateRetried', 20, 'Notify'),
      local('StateFailed', 30, 'Notify', { Error: 'ComputeHookFailed', Cause: 'hook 503 again' }),
      local('StateRetried', 40, 'Notify'),
      local('StateExited', 50, 'Notify'),
      local('StateEntered', 50, 'Release'),
    ];
    const steps = executionSteps(history, true);
    expect(steps[0]).toMatchObject({ name: 'Notify', status: 'succeeded', retries: 2, durationMs: 50 });
    expect(steps[0]!.error?.cause).toBe('hook 503 again');
    expect(steps[1]).toMatchObject({ name: 'Release', status: 'running', stoppedAt: null, durationMs: null });
    expect(stepReached(steps)).toEqual({ name: 'Release', status: 'running' });
  });

  it('an execution stopped under a step (aborted) leaves it stopped; a failure not retried is failed', () => {
    const aborted = [local('ExecutionStarted', 0), local('StateEntered', 0, 'Wait')];
    expect(executionSteps(aborted, false)[0]!.status).toBe('stopped');
    const failed = [
      local('ExecutionStarted', 0),
      local('StateEntered', 0, 'Scan'),
      local('StateFailed', 5, 'Scan', { Error: 'States.Timeout', Cause: 'timed out' }),
      local('ExecutionFailed', 6, undefined, { Error: 'States.Timeout', Cause: 'timed out' }),
    ];
    const [scan] = executionSteps(failed, false);
    expect(scan).toMatchObject({ status: 'failed', durationMs: 6, error: { error: 'States.Timeout' } });
    expect(stepReached([])).toBeNull();
  });
});

describe('executionSteps (Step Functions history)', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
  const entered = (ms: number, type: string, name: string) => ({
    type: `${type}StateEntered`,
    timestamp: at(ms),
    stateEnteredEventDetails: { name },
  });
  const exited = (ms: number, type: string, name: string) => ({
    type: `${type}StateExited`,
    timestamp: at(ms),
    stateExitedEventDetails: { name },
  });

  it('reads entered/exited pairs, retries from repeated scheduling, Map iterations and the failure', () => {
    const history = [
      { type: 'ExecutionStarted', timestamp: at(0) },
      entered(0, 'Task', 'AcquireLease'),
      { type: 'TaskScheduled', timestamp: at(1) },
      { type: 'TaskFailed', timestamp: at(5), taskFailedEventDetails: { error: 'LeaseBusy', cause: 'busy' } },
      { type: 'TaskScheduled', timestamp: at(10) },
      { type: 'TaskSucceeded', timestamp: at(20) },
      exited(20, 'Task', 'AcquireLease'),
      entered(20, 'Map', 'SplitParents'),
      { type: 'MapStateStarted', timestamp: at(20) },
      {
        type: 'MapIterationStarted',
        timestamp: at(21),
        mapIterationStartedEventDetails: { name: 'SplitParents', index: 0 },
      },
      entered(21, 'Task', 'SplitParent'),
      { type: 'TaskScheduled', timestamp: at(22) },
      {
        type: 'TaskFailed',
        timestamp: at(30),
        taskFailedEventDetails: { error: 'PageserverRefused', cause: lambdaCause('split refused') },
      },
      {
        type: 'MapIterationFailed',
        timestamp: at(31),
        mapIterationFailedEventDetails: { name: 'SplitParents', index: 0 },
      },
      { type: 'MapStateFailed', timestamp: at(32) },
      entered(33, 'Task', 'AbortSplit'),
      { type: 'TaskScheduled', timestamp: at(33) },
      {
        type: 'LambdaFunctionTimedOut',
        timestamp: at(60),
        lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout', cause: 'Lambda timed out' },
      },
      {
        type: 'ExecutionFailed',
        timestamp: at(61),
        executionFailedEventDetails: { error: 'States.Timeout', cause: 'Lambda timed out' },
      },
    ];
    const steps = executionSteps(history, false);
    expect(steps.map((s) => [s.name, s.type, s.status, s.durationMs, s.retries])).toEqual([
      ['AcquireLease', 'Task', 'succeeded', 20, 1],
      ['SplitParents', 'Map', 'caught', 13, 0],
      ['AbortSplit', 'Task', 'failed', 28, 0],
    ]);
    expect(steps[0]!.error).toEqual({ error: 'LeaseBusy', cause: 'busy' });
    expect(steps[1]!.iterations).toEqual({ started: 1, succeeded: 0, failed: 1 });
    expect(steps[2]!.error).toEqual({ error: 'States.Timeout', cause: 'Lambda timed out' });
    expect(steps[0]!.startedAt).toBe(at(0).toISOString());
  });

  it('reads timestamps given as ISO strings (history passed through JSON)', () => {
    const history = JSON.parse(
      JSON.stringify([
        { type: 'ExecutionStarted', timestamp: at(0) },
        entered(0, 'Pass', 'Start'),
        exited(7, 'Pass', 'Start'),
        entered(7, 'Task', 'Work'),
      ]),
    );
    const steps = executionSteps(history, true);
    expect(steps.map((s) => [s.name, s.status, s.durationMs])).toEqual([
      ['Start', 'succeeded', 7],
      ['Work', 'running', null],
    ]);
  });
});
