// Cancelling a drain, fill or graceful delete (D3): a running one is flagged and stops at its
// next round, restoring the node's policy itself; one whose execution is gone (a controller
// restart) is undone here at once.

import type { AppContext } from '../../app/context';
import { within } from '../../app/context';
import { NotFoundError, PreconditionFailedError, VersionConflictError } from '../../core/errors';
import type { NodeOperationKind } from '../../core/model/node-operation';
import { waitForExecution } from '../wait-execution';
import { isLive, releaseOperation, restorePolicy } from './operation-record';

/** How long a cancel waits for the execution to stop before answering 202. */
const CANCEL_WAIT_MS = 10_000;

export async function cancelNodeOperation(
  context: AppContext,
  nodeId: number,
  kind: NodeOperationKind,
): Promise<{ stopped: true } | { stopped: false; executionId: string }> {
  if (!(await context.nodes.get(nodeId))) throw new NotFoundError('Node not registered');
  for (let attempt = 1; ; attempt++) {
    const op = await context.operations.get();
    if (!op || op.nodeId !== nodeId || op.kind !== kind)
      throw new PreconditionFailedError(`No ${kind} in progress for node ${nodeId}`);
    if (!(await isLive(context, op))) {
      await restorePolicy(context, op, 'cancelled');
      await releaseOperation(context, op.execution);
      return { stopped: true };
    }
    try {
      if (!op.cancelled) await context.operations.update(op, { cancelled: true });
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < 20) continue;
      throw error;
    }
    if (op.executionId === null) return { stopped: false, executionId: op.execution };
    const execution = await waitForExecution(
      context.workflows,
      op.executionId,
      Math.max(0, within(context, CANCEL_WAIT_MS) - Date.now()),
    );
    return execution?.status === 'RUNNING'
      ? { stopped: false, executionId: op.executionId }
      : { stopped: true };
  }
}
