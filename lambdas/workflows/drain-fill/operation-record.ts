// The background operation's record as the steps and routes see it: whether it still runs, and
// the node policy changes that go with starting and ending it.
import type { AppContext } from '../../app/context';
import { executionName } from '../../core/execution-names';
import type { NodeSchedulingPolicy } from '../../core/model/node';
import {
  type NodeOperation,
  type NodeOperationKind,
  OPERATION_POLICY,
  operationIsLive,
  policyAfter,
} from '../../core/model/node-operation';
import { retryOnConflict } from '../../core/retry';

/** `drain-node-3-…`, `fill-node-3-…`, `node-delete-node-3-…`: what operators look for. */
export function operationExecutionName(kind: NodeOperationKind, nodeId: number): string {
  return executionName(kind === 'delete' ? 'node-delete' : kind, ['node', nodeId]);
}

/** Whether the recorded operation's execution still runs (a record it left after a crash does not). */
export async function isLive(context: AppContext, op: NodeOperation): Promise<boolean> {
  const execution = op.executionId === null ? undefined : await context.workflows.describe(op.executionId);
  return operationIsLive(op, execution?.status, Date.now());
}

/** The operation that runs now, if any. */
export async function liveOperation(context: AppContext): Promise<NodeOperation | undefined> {
  const op = await context.operations.get();
  return op && (await isLive(context, op)) ? op : undefined;
}

/**
 * Sets the node's policy to `to`, provided it still holds `from` (an operator's or re-attach's
 * change since is kept). False when the node is gone or holds something else.
 */
export function swapPolicy(
  context: AppContext,
  nodeId: number,
  from: NodeSchedulingPolicy | null,
  to: NodeSchedulingPolicy,
): Promise<boolean> {
  return retryOnConflict(async () => {
    const node = await context.nodes.get(nodeId);
    if (!node || (from !== null && node.scheduling !== from)) return false;
    if (node.scheduling !== to) await context.nodes.update(node.id, node.version, { scheduling: to });
    return true;
  }, 20);
}

/** The node's policy as the operation leaves it, if the node still holds the operation's policy. */
export async function restorePolicy(
  context: AppContext,
  op: NodeOperation,
  outcome: 'done' | 'cancelled',
): Promise<void> {
  const after = policyAfter(op, outcome);
  if (after !== null) await swapPolicy(context, op.nodeId, OPERATION_POLICY[op.kind], after);
}

/** Removes the record if it is still this execution's (a cancel may have flagged it meanwhile). */
export function releaseOperation(context: AppContext, execution: string): Promise<void> {
  return retryOnConflict(async () => {
    const op = await context.operations.get();
    if (op?.execution === execution) await context.operations.release(op);
  }, 20);
}
