// A gracefully deleted node, once drained: every shard that still refers to it (its secondaries,
// attachments a drain could not move) is scheduled elsewhere and reconciled, what the node held
// is forgotten, and the node is deleted as DELETE /control/v1/node/:id deletes it (only once no
// intent refers to it). Pages through the node's partition; never per shard.
import { type AppContext, within } from '../../app/context';
import type { Intent, TenantShard } from '../../core/model/tenant-shard';
import { ScheduleError, Scheduler, schedulerNode } from '../../core/scheduler';
import { deleteNode } from '../../nodes/delete-node';
import { reconcileInline } from '../../reconciler/reconcile-many';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { updateShardsInPages } from '../../reconciler/shard-update';

/**
 * Answers false, the node kept, if `stillWanted` says no once its shards are placed elsewhere (a
 * cancel that came while they moved): the last, irreversible step is not taken.
 */
export async function removeDrainedNode(
  context: AppContext,
  nodeId: number,
  owner: string,
  stillWanted: () => Promise<boolean> = async () => true,
): Promise<boolean> {
  const ids = (await context.tenants.nodeMemberships(nodeId)).map((m) => m.id);
  const others = (await context.nodes.list()).filter((n) => n.id !== nodeId);
  const scheduler = new Scheduler(others.map(schedulerNode));
  const rescheduled = (shard: TenantShard): TenantShard | null => {
    const without: Intent = {
      attached: shard.intent.attached === nodeId ? null : shard.intent.attached,
      secondary: shard.intent.secondary.filter((n) => n !== nodeId),
    };
    let intent = without;
    try {
      // A node that goes away takes no policy's pin with it: even a paused shard moves.
      intent = scheduler.schedule({ ...shard, schedulingPolicy: 'Active', intent: without }).intent;
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      context.metrics.schedulingErrors.inc();
    }
    if (JSON.stringify(intent) === JSON.stringify(shard.intent)) return null;
    return { ...shard, intent };
  };
  await updateShardsInPages(context.tenants, ids, rescheduled);
  // Detach there and place elsewhere while the node is still known, within the step's budget.
  await reconcileInline(
    ids,
    reconcileDeps(context, owner),
    within(context, Math.max(0, (context.deadline - Date.now()) / 2)),
  );
  if (!(await stillWanted())) return false;
  // What still refers to it is forgotten, and the node removed only once nothing does.
  await deleteNode(context, nodeId, owner);
  return true;
}
