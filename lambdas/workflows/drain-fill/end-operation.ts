// The last step of a drain, fill or graceful delete: the node's policy as the outcome leaves it
// (drained: PauseForRestart; filled: Active; cancelled or failed: as before), a deleted node
// removed, and the operation's record released. Safe to run twice.
import type { AppContext } from '../../app/context';
import { releaseOperation, restorePolicy } from './operation-record';
import { removeDrainedNode } from './remove-node';

export type EndOutcome = 'done' | 'cancelled' | 'interrupted' | 'failed';

export async function endOperation(
  context: AppContext,
  input: { execution: string; outcome: EndOutcome },
): Promise<{ ended: boolean }> {
  const op = await context.operations.get();
  if (op?.execution !== input.execution) return { ended: false };
  if (input.outcome === 'done' && op.kind === 'delete') {
    await removeDrainedNode(context, op.nodeId, input.execution);
  } else if (input.outcome !== 'interrupted') {
    await restorePolicy(context, op, input.outcome === 'done' ? 'done' : 'cancelled');
  }
  await releaseOperation(context, input.execution);
  context.log.info('node operation ended', { execution: input.execution, outcome: input.outcome });
  return { ended: true };
}
