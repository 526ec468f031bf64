// Errors thrown by workflow tasks. Step Functions (and the local runner) match Retry and Catch
// on the error's `name`, so each kind of failure has its own, named once here: the ASL files, the
// routes that read an execution's error and the tests all use these names (a test checks that
// every name an ASL file matches on is one of them or a States.* name).
import { PageserverError } from './errors';

export const WORKFLOW_ERRORS = {
  /** Worth retrying: a pageserver timed out, was unreachable or answered 503. */
  Transient: 'Transient',
  /** Not worth retrying: the request was refused for a reason a retry will not change. */
  Rejected: 'Rejected',
  /** Another operation holds the tenant or shard. */
  LeaseBusy: 'LeaseBusy',
  /** A pageserver refused the request (not transiently). */
  PageserverRefused: 'PageserverRefused',
  /** A migration's destination did not catch up before its deadline. */
  CatchUpTimeout: 'CatchUpTimeout',
  /** The shard is not where the request assumed it was (a migration's origin_node_id). */
  PreconditionFailed: 'PreconditionFailed',
  /** An operator cancelled the operation (cancel_reconcile): not retried, it aborts. */
  Cancelled: 'Cancelled',
} as const;
export type WorkflowErrorName = (typeof WORKFLOW_ERRORS)[keyof typeof WORKFLOW_ERRORS];

export class TransientError extends Error {
  override name = WORKFLOW_ERRORS.Transient;
}

export class RejectedError extends Error {
  override name: string = WORKFLOW_ERRORS.Rejected;
}

/** A refusal (never retried) because the shard moved since the caller looked. */
export class PreconditionFailedError extends RejectedError {
  override name = WORKFLOW_ERRORS.PreconditionFailed;
}

export class CancelledError extends Error {
  override name = WORKFLOW_ERRORS.Cancelled;
}

export class LeaseBusyError extends Error {
  override name = WORKFLOW_ERRORS.LeaseBusy;
}

export class PageserverRefusedError extends Error {
  override name = WORKFLOW_ERRORS.PageserverRefused;
}

export class CatchUpTimeoutError extends Error {
  override name = WORKFLOW_ERRORS.CatchUpTimeout;
}

/**
 * The message of a failure's cause, for a caller: on AWS the cause of a Lambda task's error is the
 * runtime's JSON `{errorType, errorMessage, trace}` (nested once more if something re-threw it);
 * what a caller sees is the innermost errorMessage, never the trace. Any other cause is kept, up
 * to the first stack frame it may carry.
 */
export function failureMessage(cause: string): string {
  let text = cause;
  for (let depth = 0; depth < 5; depth++) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      break;
    }
    if (typeof parsed !== 'object' || parsed === null) break;
    const { errorMessage, errorType } = parsed as { errorMessage?: unknown; errorType?: unknown };
    if (typeof errorMessage === 'string') text = errorMessage;
    else if (typeof errorType === 'string') return errorType;
    else break;
  }
  const frame = text.search(/\n\s+at /);
  return frame === -1 ? text : text.slice(0, frame);
}

/** A failed pageserver call as a task error: transient ones are retried, refusals are not. */
export function taskErrorFromPageserver(error: unknown, what: string): Error {
  if (error instanceof PageserverError) {
    const message = `${what}: ${error.message}`;
    return error.transient ? new TransientError(message) : new PageserverRefusedError(message);
  }
  return error as Error;
}
