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
  /** The name RaiseFailure uses when the caught error had none. */
  Failed: 'Failed',
} as const;
export type WorkflowErrorName = (typeof WORKFLOW_ERRORS)[keyof typeof WORKFLOW_ERRORS];

export class TransientError extends Error {
  override name = WORKFLOW_ERRORS.Transient;
}

export class RejectedError extends Error {
  override name = WORKFLOW_ERRORS.Rejected;
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

/** Rebuilds a failure reported by a workflow (error name and cause) as a task error. */
export class WorkflowFailure extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** A failed pageserver call as a task error: transient ones are retried, refusals are not. */
export function taskErrorFromPageserver(error: unknown, what: string): Error {
  if (error instanceof PageserverError) {
    const message = `${what}: ${error.message}`;
    return error.transient ? new TransientError(message) : new PageserverRefusedError(message);
  }
  return error as Error;
}
