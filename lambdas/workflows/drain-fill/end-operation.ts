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
  // A cancel acknowledged after the last round still wins: the node is not removed (nor left
  // PauseForRestart) once its operator was told the operation stops.
  let outcome = op.cancelled && input.outcome === 'done' ? 'cancelled' : input.outcome;
  const notCancelled = async () => !(await context.operations.get())?.cancelled;
  if (outcome === 'done' && op.kind === 'delete') {
    if (!(await removeDrainedNode(context, op.nodeId, input.execution, notCancelled))) {
      outcome = 'cancelled';
      await restorePolicy(context, op, 'cancelled');
    }
  } else if (outcome !== 'interrupted') {
    await restorePolicy(context, op, outcome === 'done' ? 'done' : 'cancelled');
  }
  await releaseOperation(context, input.execution);
  context.log.info('node operation ended', { execution: input.execution, outcome });
  return { ended: true };
}
