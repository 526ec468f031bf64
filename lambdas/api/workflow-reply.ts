// Routes that start a workflow wait for it only as long as their request's deadline allows, then
// answer 202 with the execution to follow: API Gateway never cuts the caller off without its id.
import type { WorkflowExecution } from '../core/ports';
import { failureMessage } from '../core/workflow-errors';
import { waitForExecution } from '../workflows/wait-execution';
import type { ApiContext } from './api-context';
import type { Reply } from './route';

/** Where the debug API shows one execution (GET /debug/v1/workflows/{execution_id}). */
export function executionPath(id: string): string {
  return `/debug/v1/workflows/${encodeURIComponent(id)}`;
}

/** The execution as it stands at the request's deadline (or earlier, once it has stopped). */
export function awaitExecution(services: ApiContext, id: string): Promise<WorkflowExecution | undefined> {
  return waitForExecution(services.workflows, id, Math.max(0, services.deadline - Date.now()));
}

/** 202: the execution still runs; its id in the body, where to follow it in Location. */
export function stillRunningReply(id: string): Reply {
  return { status: 202, body: { execution_id: id }, headers: { location: executionPath(id) } };
}

/** A stopped execution's error, for a caller: the name, and the cause's message without a trace. */
export function executionFailure(execution: WorkflowExecution | undefined): {
  error?: string;
  message: string;
} {
  const error = execution?.error?.error;
  return {
    ...(error === undefined ? {} : { error }),
    message: execution?.error ? failureMessage(execution.error.cause) : 'unknown failure',
  };
}
