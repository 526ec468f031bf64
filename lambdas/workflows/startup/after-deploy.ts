// Startup reconciliation after a deploy, as a CloudFormation custom resource: on Create and Update
// it starts startup-reconcile, waits for it, and answers SUCCESS only if it succeeded, so a deploy
// whose startup fails fails (and rolls back). The execution is named after the request, so a
// replayed request (Lambda retries an invocation that crashed) finds its own execution instead of
// failing on ExecutionAlreadyExists, and nothing in the template changes between two synths.
// During an update rollback it starts the (old) startup and answers SUCCESS at once: a rollback
// must not be stopped by the startup (UPDATE_ROLLBACK_FAILED); a failed one raises its alarm.
// Delete does nothing.
import * as z from 'zod';
import type { WorkflowExecution, WorkflowStarter } from '../../core/ports';

export const customResourceEvent = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  RequestId: z.string().min(1),
  ResponseURL: z.url(),
  StackId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
});
export type CustomResourceEvent = z.infer<typeof customResourceEvent>;

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

export interface AfterDeployDeps {
  workflows: Pick<WorkflowStarter, 'start' | 'describe'>;
  /** The id of the startup-reconcile execution of this name (when starting it says it exists). */
  executionId(name: string): string;
  /** The stack's status (UPDATE_ROLLBACK_IN_PROGRESS during a rollback); undefined if unknown. */
  stackStatus(stackId: string): Promise<string | undefined>;
  /** Epoch ms by which the answer must be decided (the function's own deadline, less a margin). */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Stable across synths and across replays of one request; a new name for each request. */
export const PHYSICAL_RESOURCE_ID = 'startup-after-deploy';

/** Execution names: at most 80 characters from [A-Za-z0-9-_] (RequestIds are UUIDs). */
export function startupExecutionName(requestId: string): string {
  return `startup-deploy-${requestId.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 80);
}

/** CloudFormation keeps a Reason short (the whole response is at most 4 KB). */
const reason = (text: string) => (text.length > 1000 ? `${text.slice(0, 997)}...` : text);

export async function startupAfterDeploy(
  event: CustomResourceEvent,
  deps: AfterDeployDeps,
): Promise<CustomResourceResponse> {
  const base = {
    PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  if (event.RequestType === 'Delete') return { ...base, Status: 'SUCCESS' };
  const name = startupExecutionName(event.RequestId);
  const input = { epoch: `deploy-${event.RequestId}` };
  const status = await deps.stackStatus(event.StackId).catch(() => undefined);
  const rollingBack = status === 'UPDATE_ROLLBACK_IN_PROGRESS';
  try {
    const id = await startOrFind(deps, name, input);
    const Data = { ExecutionArn: id };
    if (rollingBack) return { ...base, Status: 'SUCCESS', Data };
    const execution = await waitUntilStopped(deps, id);
    if (execution?.status === 'SUCCEEDED') return { ...base, Status: 'SUCCESS', Data };
    const why =
      execution?.status === 'RUNNING'
        ? 'still running when this deploy had to answer'
        : `${execution?.status ?? 'not found'}: ${execution?.error?.error ?? ''} ${execution?.error?.cause ?? ''}`;
    return {
      ...base,
      Status: 'FAILED',
      Reason: reason(`startup reconciliation ${name} ${why.trim()}`),
      Data,
    };
  } catch (error) {
    const { name: kind, message } = error as Error;
    const text = reason(`startup reconciliation ${name}: ${kind}: ${message}`);
    return { ...base, Status: rollingBack ? 'SUCCESS' : 'FAILED', Reason: text };
  }
}

async function startOrFind(deps: AfterDeployDeps, name: string, input: { epoch: string }): Promise<string> {
  try {
    return (await deps.workflows.start('startup-reconcile', name, input)).id;
  } catch (error) {
    // Step Functions keeps names for 90 days: a replayed request finds its finished execution.
    if ((error as Error).name === 'ExecutionAlreadyExists') return deps.executionId(name);
    throw error;
  }
}

async function waitUntilStopped(deps: AfterDeployDeps, id: string): Promise<WorkflowExecution | undefined> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let pause = 250; ; pause = Math.min(pause * 2, 5_000)) {
    const execution = await deps.workflows.describe(id);
    if (execution?.status !== 'RUNNING' || now() + pause > deps.deadline) return execution;
    await sleep(pause);
  }
}
