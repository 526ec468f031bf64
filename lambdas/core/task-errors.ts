// Errors thrown by workflow tasks. Step Functions (and the local runner) match Retry and Catch
// on the error's `name`, so each kind of failure has its own.

/** Worth retrying: a pageserver timed out, was unreachable or answered 503. */
export class TransientError extends Error {
  override name = 'Transient';
}

/** Not worth retrying: the request was refused for a reason a retry will not change. */
export class RejectedError extends Error {
  override name = 'Rejected';
}

/** Another operation holds the tenant. */
export class LeaseBusyError extends Error {
  override name = 'LeaseBusy';
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

/** A pageserver refused the request (not a transient failure): retrying will not help. */
export class PageserverRefusedError extends Error {
  override name = 'PageserverRefused';
}
