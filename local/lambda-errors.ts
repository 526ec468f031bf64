// What Step Functions records for an error a Lambda task throws: the error's name as Error, and as
// Cause the Node runtime's JSON `{errorType, errorMessage, trace}`. The local runner wraps every
// task handler with this, so that local causes look like AWS's, traces included (whatever shows
// a cause to a caller must take the message out, as on AWS).
import type { TaskHandler } from '../lambdas/tasks/registry';

export function asLambdaError(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const shaped = new Error(
    JSON.stringify({
      errorType: original.name,
      errorMessage: original.message,
      trace: (original.stack ?? '').split('\n'),
    }),
  );
  shaped.name = original.name;
  return shaped;
}

export function lambdaShaped(handler: TaskHandler): TaskHandler {
  return async (input, context, startedAt) => {
    try {
      return await handler(input, context, startedAt);
    } catch (error) {
      throw asLambdaError(error);
    }
  };
}
