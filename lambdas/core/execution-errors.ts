// How starting a workflow execution fails, named as Step Functions names the failures: both the
// local runner and the Step Functions adapter throw these, so callers handle one set.

/**
 * StartExecution with a name already used by an execution of the same state machine in the last
 * 90 days, unless that execution is still running with the very same input (then the start
 * succeeds and returns it). A finished execution's name is never reused.
 */
export class ExecutionAlreadyExistsError extends Error {
  override name = 'ExecutionAlreadyExists';
  constructor(
    /** The existing execution's id (ARN on AWS). */
    readonly executionId: string,
    message: string,
  ) {
    super(message);
  }
}

/** StartExecution with a name Step Functions does not allow (too long, or a forbidden character). */
export class InvalidExecutionNameError extends Error {
  override name = 'InvalidName';
}
