// What Step Functions and Lambda enforce on an execution, applied to aws-local-stepfunctions runs:
// a task is stopped waiting for at its Lambda timeout (Sandbox.Timedout), a payload over 256 KiB
// fails the execution with States.DataLimitExceeded (terminal: no Retry or Catch sees it), and an
// inline Map runs at most 40 iterations at once.
import { payloadProblem, STEP_FUNCTIONS } from '../lambdas/core/aws-limits';
import type { TaskHandler } from '../lambdas/tasks/registry';
import { type AslDefinition, walkStates } from '../statemachines/asl';

/** Raised by a state whose input or output is over the payload limit. */
export class DataLimitExceededError extends Error {
  override name = 'States.DataLimitExceeded';
  // aws-local-stepfunctions consults these before any Retry or Catch: AWS lets neither match it.
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** A Lambda function that ran past its timeout, as Lambda reports it. */
export class SandboxTimedoutError extends Error {
  override name = 'Sandbox.Timedout';
}

/**
 * The task handler as Lambda behind a Task state runs it: an input (after Parameters) or a result
 * over the payload limit fails the execution, and a run past the timeout fails the attempt with
 * Sandbox.Timedout. The late run cannot be stopped here (Lambda would freeze it); its result is
 * dropped.
 */
export function limitTask(state: string, handler: TaskHandler, timeoutMs: number): TaskHandler {
  return async (input, context) => {
    const inputProblem = payloadProblem(input, `the input of state ${state}`);
    if (inputProblem) throw new DataLimitExceededError(inputProblem);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new SandboxTimedoutError(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([handler(input, context), timedOut]);
      const resultProblem = payloadProblem(result, `the result of state ${state}`);
      if (resultProblem) throw new DataLimitExceededError(resultProblem);
      return result;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The slice of aws-local-stepfunctions' private `execute` and event logger the guard needs. */
interface MachineInternals {
  execute(input: unknown, options: { eventLogger: ExitLogger }, cleanup: () => void): Promise<unknown>;
}
interface ExitLogger {
  dispatchStateExitedEvent(name: string, type: string, input: unknown, output: unknown): void;
}

/**
 * Fails the execution when a top-level state's output (after ResultPath and OutputPath, what
 * Step Functions measures) is over the limit. The library offers no hook there, so this wraps
 * the machine's own `execute` to check each output as the state exits: a throw at that point
 * fails the execution before the next state starts, as on AWS. (Pinned to aws-local-stepfunctions
 * 3.0.0; the runner's tests fail if the library moves.)
 */
export function guardStateOutputs(machine: object): void {
  const internals = machine as MachineInternals;
  const execute = internals.execute.bind(machine);
  internals.execute = (input, options, cleanup) => {
    const logger = options.eventLogger;
    const dispatch = logger.dispatchStateExitedEvent.bind(logger);
    logger.dispatchStateExitedEvent = (name, type, stateInput, output) => {
      const problem = payloadProblem(output, `the output of state ${name}`);
      if (problem) throw new DataLimitExceededError(problem);
      dispatch(name, type, stateInput, output);
    };
    return execute(input, options, cleanup);
  };
}

/** The definition with every Map's MaxConcurrency capped at what an inline Map runs at once. */
export function capMapConcurrency(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition);
  for (const { state } of walkStates(copy)) {
    if (state.Type !== 'Map') continue;
    const map = state as { MaxConcurrency?: number };
    const limit = STEP_FUNCTIONS.inlineMapMaxConcurrency;
    if (!map.MaxConcurrency || map.MaxConcurrency > limit) map.MaxConcurrency = limit;
  }
  return copy;
}

/** Raised when an execution's history passes Step Functions' 25,000 events. */
export class HistoryLimitExceededError extends Error {
  // As AWS fails such an execution: a runtime error no Retry or Catch sees.
  override name = 'States.Runtime';
}

/**
 * The events Step Functions would record for one of aws-local-stepfunctions' events. The library
 * logs a state's entry and exit; AWS records a Task as entered, scheduled, started, succeeded and
 * exited (5), other states as entered and exited (2), and one event per retry, failure, catch,
 * Map iteration and execution change. An approximation, never far under AWS's count.
 */
export function awsHistoryEvents(event: { type?: string; state?: { type?: string } }): number {
  const task = event.state?.type === 'Task';
  switch (event.type) {
    case 'StateEntered':
      return task ? 3 : 1;
    case 'StateExited':
      return task ? 2 : 1;
    default:
      return 1;
  }
}

export function historyLimitProblem(events: number): string | null {
  return events > STEP_FUNCTIONS.executionHistoryEvents
    ? `The execution reached the maximum number of history events (${STEP_FUNCTIONS.executionHistoryEvents}).`
    : null;
}
