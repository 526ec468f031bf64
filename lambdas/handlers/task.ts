// Lambda entry point for one workflow task: TASK_NAME (set per function by the stack) picks it.

import { taskHandler } from '../tasks/registry';
import { awsServices } from './aws-services';
import { flushingMetrics } from './emf';
import { logger } from './powertools-logger';

export const handler = flushingMetrics(async (event: unknown, context?: { awsRequestId?: string }) => {
  // The Lambda's timeout runs from here, a cold start's config load included.
  const startedAt = Date.now();
  const name = process.env.TASK_NAME ?? '';
  const task = taskHandler(name);
  if (!task) throw new Error(`unknown task ${name}`);
  try {
    return await task(event, await awsServices(), startedAt);
  } catch (error) {
    // The error's name is what the state machine's Retry and Catch match on: rethrow it as is.
    logger.warn('task failed', {
      task: name,
      requestId: context?.awsRequestId,
      error: (error as Error).name,
      message: (error as Error).message,
    });
    throw error;
  }
});
