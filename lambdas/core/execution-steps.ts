// An execution's top-level steps, read from its event history: what an operator wants to see of a
// workflow (which state it is in, how long each took, which failed and why). Both runtimes' history
// shapes are read here, so the API answers the same on AWS and locally: Step Functions'
// GetExecutionHistory events (`TaskStateEntered` with `stateEnteredEventDetails`, ...) and the
// local runner's aws-local-stepfunctions event logs (`StateEntered` with `state`, ...). Events of
// states inside a Map's iterations are counted as the Map step's iterations, not listed as steps.

import { failureMessage } from './workflow-errors';

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'caught' | 'stopped';

export interface ExecutionStep {
  name: string;
  /** The ASL state type (Task, Map, Choice, ...). */
  type: string;
  startedAt: string;
  stoppedAt: string | null;
  durationMs: number | null;
  status: StepStatus;
  /** Attempts after the first (Retry). */
  retries: number;
  /** A Map step's iterations; null for other states. */
  iterations: { started: number; succeeded: number; failed: number } | null;
  /** The failure that ended the step (failed or caught), or the last one it retried past. */
  error: { error: string; cause: string } | null;
}

type Event = Record<string, unknown>;

interface Normalized {
  kind:
    | 'entered'
    | 'exited'
    | 'failed'
    | 'retry'
    | 'attempt'
    | 'caught'
    | 'iteration-started'
    | 'iteration-succeeded'
    | 'iteration-failed'
    | 'execution-ended'
    | 'other';
  at: number;
  name?: string;
  type?: string;
  nested?: boolean;
  error?: { error: string; cause: string };
}

function timeOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A failure as an operator reads it: a Lambda error's message, without its stack trace. */
function failure(error: unknown, cause: unknown): { error: string; cause: string } {
  return { error: text(error), cause: failureMessage(text(cause)) };
}

function detail(event: Event, key: string): Record<string, unknown> {
  const value = event[key];
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** An aws-local-stepfunctions event log entry. */
function fromLocal(event: Event): Normalized {
  const at = timeOf(event.timestamp);
  const state = detail(event, 'state');
  const parent = detail(event, 'parentState');
  const name = typeof state.name === 'string' ? state.name : undefined;
  const nested = event.index !== undefined;
  const error = failure(event.Error, event.Cause);
  switch (event.type) {
    case 'StateEntered':
      return { kind: 'entered', at, name, type: text(state.type), nested };
    case 'StateExited':
      return { kind: 'exited', at, name, nested };
    case 'StateFailed':
      return { kind: 'failed', at, name, nested, error };
    case 'StateRetried':
      return { kind: 'retry', at, name, nested };
    case 'StateCaught':
      return { kind: 'caught', at, name, nested };
    case 'MapIterationStarted':
      return { kind: 'iteration-started', at, name: text(parent.name) };
    case 'MapIterationSucceeded':
      return { kind: 'iteration-succeeded', at, name: text(parent.name) };
    case 'MapIterationFailed':
      return { kind: 'iteration-failed', at, name: text(parent.name), error };
    case 'ExecutionSucceeded':
    case 'ExecutionTerminated':
      return { kind: 'execution-ended', at, name: event.type };
    case 'ExecutionFailed':
      return { kind: 'execution-ended', at, name: event.type, error };
    default:
      return { kind: 'other', at };
  }
}

const SFN_FAILURES: Record<string, string> = {
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapStateFailed: 'mapStateFailedEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
};

/** A Step Functions history event; `open` counts the Map iterations running around it. */
function fromSfn(event: Event, open: number): Normalized {
  const at = timeOf(event.timestamp);
  const type = text(event.type);
  const nested = open > 0;
  const entered = /^(\w+)StateEntered$/.exec(type);
  if (entered) {
    return {
      kind: 'entered',
      at,
      name: text(detail(event, 'stateEnteredEventDetails').name),
      type: entered[1],
      nested,
    };
  }
  if (/StateExited$/.test(type)) {
    return { kind: 'exited', at, name: text(detail(event, 'stateExitedEventDetails').name), nested };
  }
  const failureDetails = SFN_FAILURES[type];
  if (failureDetails && type !== 'ExecutionFailed') {
    const d = detail(event, failureDetails);
    return { kind: 'failed', at, nested, error: failure(d.error, d.cause) };
  }
  // Each attempt of the step's task is scheduled anew: the second and later are retries.
  if (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled') return { kind: 'attempt', at, nested };
  const iteration = detail(event, 'mapIterationStartedEventDetails');
  if (type === 'MapIterationStarted') return { kind: 'iteration-started', at, name: text(iteration.name) };
  if (type === 'MapIterationSucceeded')
    return {
      kind: 'iteration-succeeded',
      at,
      name: text(detail(event, 'mapIterationSucceededEventDetails').name),
    };
  if (type === 'MapIterationFailed' || type === 'MapIterationAborted')
    return {
      kind: 'iteration-failed',
      at,
      name: text(detail(event, `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`).name),
    };
  if (type === 'ExecutionFailed') {
    const d = detail(event, 'executionFailedEventDetails');
    return { kind: 'execution-ended', at, name: type, error: failure(d.error, d.cause) };
  }
  if (/^Execution(Succeeded|Aborted|TimedOut)$/.test(type))
    return { kind: 'execution-ended', at, name: type };
  return { kind: 'other', at };
}

function normalize(history: readonly Event[]): Normalized[] {
  const local = history.some((e) => e.type === 'StateEntered' || e.type === 'StateExited');
  if (local) return history.map(fromLocal);
  let open = 0;
  return history.map((event) => {
    const n = fromSfn(event, open);
    if (n.kind === 'iteration-started') open += 1;
    if (n.kind === 'iteration-succeeded' || n.kind === 'iteration-failed') open = Math.max(0, open - 1);
    return n;
  });
}

interface Building extends ExecutionStep {
  startedMs: number;
  /** A failure not (yet) followed by another attempt. */
  pending: boolean;
  attempts: number;
}

function close(step: Building, at: number, status: StepStatus): void {
  step.stoppedAt = new Date(at).toISOString();
  step.durationMs = Math.max(0, at - step.startedMs);
  step.status = status;
}

function open(name: string, type: string, at: number): Building {
  return {
    name,
    type,
    startedAt: new Date(at).toISOString(),
    startedMs: at,
    stoppedAt: null,
    durationMs: null,
    status: 'running',
    retries: 0,
    attempts: 0,
    iterations: type === 'Map' ? { started: 0, succeeded: 0, failed: 0 } : null,
    error: null,
    pending: false,
  };
}

/** How the execution's end closes the step it was in. */
function endWithExecution(step: Building, event: Normalized): void {
  const failedHere = step.pending || step.type === 'Fail';
  if (event.error && (failedHere || step.stoppedAt === null)) {
    step.error ??= event.error;
    if (step.stoppedAt === null) close(step, event.at, 'failed');
    else step.status = 'failed';
    return;
  }
  if (step.stoppedAt !== null) return;
  close(step, event.at, event.name === 'ExecutionSucceeded' ? 'succeeded' : 'stopped');
}

/**
 * The execution's top-level steps in the order they ran. `running`: whether the execution still
 * runs (a step without an end is then `running`; otherwise the execution stopped under it).
 */
export function executionSteps(history: readonly Event[], running: boolean): ExecutionStep[] {
  const steps: Building[] = [];
  let current: Building | undefined;
  for (const event of normalize(history)) {
    if (event.nested) continue;
    switch (event.kind) {
      case 'entered':
        // A step still open when the next begins ended by Catch (after a failure) or Next.
        if (current && current.stoppedAt === null)
          close(current, event.at, current.pending ? 'caught' : 'succeeded');
        current = open(event.name ?? '', event.type ?? '', event.at);
        steps.push(current);
        break;
      case 'exited':
        if (current && current.stoppedAt === null)
          close(current, event.at, current.pending ? 'caught' : 'succeeded');
        break;
      case 'failed':
        if (!current) break;
        // A Map's own failure event names no error: its iteration's error says more.
        if (event.error?.error || !current.error) current.error = event.error ?? null;
        current.pending = true;
        break;
      case 'retry':
        if (!current) break;
        current.retries += 1;
        current.pending = false;
        break;
      case 'attempt':
        if (!current) break;
        current.attempts += 1;
        if (current.attempts > 1) {
          current.retries += 1;
          current.pending = false;
        }
        break;
      case 'caught':
        if (current && current.stoppedAt === null) close(current, event.at, 'caught');
        break;
      case 'iteration-started':
      case 'iteration-succeeded':
      case 'iteration-failed': {
        const map = [...steps].reverse().find((s) => s.name === event.name && s.iterations);
        if (!map?.iterations) break;
        if (event.kind === 'iteration-started') map.iterations.started += 1;
        else if (event.kind === 'iteration-succeeded') map.iterations.succeeded += 1;
        else map.iterations.failed += 1;
        break;
      }
      case 'execution-ended':
        if (current) endWithExecution(current, event);
        break;
      default:
        break;
    }
  }
  // Stopped without an end event in the history (aborted by a crash of the local runner).
  if (current && current.stoppedAt === null && !running)
    current.status = current.pending ? 'failed' : 'stopped';
  return steps.map(({ startedMs: _s, pending: _p, attempts: _a, ...step }) => step);
}

/** The step an execution has reached: its last top-level step, or null before the first. */
export function stepReached(steps: readonly ExecutionStep[]): { name: string; status: StepStatus } | null {
  const last = steps.at(-1);
  return last ? { name: last.name, status: last.status } : null;
}
