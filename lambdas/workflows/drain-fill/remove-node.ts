// A gracefully deleted node, once drained: every shard that still refers to it (its secondaries,
// attachments a drain could not move) is scheduled elsewhere and reconciled, what the node held
// is forgotten, and the node is deleted. Pages through the node's partition; never per shard.
import { type AppContext, within } from '../../app/context';
import { type Intent, sameObserved, type TenantShard } from '../../core/model/tenant-shard';
import { ScheduleError, Scheduler, schedulerNode } from '../../core/scheduler';
import { reconcileInline } from '../../reconciler/reconcile-many';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { updateShardsInPages } from '../../reconciler/shard-update';

export async function removeDrainedNode(context: AppContext, nodeId: number, owner: string): Promise<void> {
  const key = String(nodeId);
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
  const forgotten = (shard: TenantShard): TenantShard | null => {
    if (!(key in shard.observed)) return null;
    const observed = { ...shard.observed };
    delete observed[key];
    return sameObserved(observed, shard.observed) ? null : { ...shard, observed };
  };
  await updateShardsInPages(context.tenants, ids, forgotten);
  await context.nodes.delete(nodeId);
}
