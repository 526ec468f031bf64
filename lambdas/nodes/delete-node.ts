// DELETE /control/v1/node/:id, the immediate form: every shard that refers to the node is
// rescheduled without it (a secondary promoted where there is one), what it was thought to hold
// is forgotten, and the node is removed. Nothing is drained: a live pageserver of a deleted node
// keeps what it runs, fenced by the newer generations issued elsewhere.
//
// The node is first paused so that nothing new is placed there; its shards are then rewritten a
// page at a time (its memberships in one Query, shards read 100 to a call, written many to a
// transaction). The node item goes in a transaction that also checks that no intent refers to it
// any more (its counters are zero), so a placement that raced the pass makes the delete fail and
// the pass run again, instead of leaving an intent that names a node that is gone.
import { type AppContext, within } from '../app/context';
import { NotFoundError, UnavailableError, VersionConflictError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { sameObserved, type TenantShard } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';
import { updateShardsInPages } from '../reconciler/shard-update';

/** The shard without the node: rescheduled if its intent named it, its observed entry forgotten. */
export function withoutNode(
  shard: TenantShard,
  nodeId: number,
  scheduler: Scheduler,
  onScheduleError: () => void,
) {
  const key = String(nodeId);
  const observed = { ...shard.observed };
  delete observed[key];
  let intent = shard.intent;
  if (intent.attached === nodeId || intent.secondary.includes(nodeId)) {
    try {
      // The scheduler does not know the node, so it is dropped and replaced. A pinned shard
      // (Pause, Stop) is rescheduled too: no intent may name a node that no longer exists.
      intent = scheduler.schedule({ ...shard, schedulingPolicy: 'Active' }).intent;
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      onScheduleError();
      intent = {
        attached: intent.attached === nodeId ? null : intent.attached,
        secondary: intent.secondary.filter((n) => n !== nodeId),
      };
    }
  }
  const generationPageserver = shard.generationPageserver === nodeId ? null : shard.generationPageserver;
  if (
    intent === shard.intent &&
    generationPageserver === shard.generationPageserver &&
    sameObserved(observed, shard.observed)
  )
    return null;
  return { ...shard, intent, observed, generationPageserver };
}

export async function deleteNode(context: AppContext, nodeId: number, owner: string): Promise<void> {
  const paused = await retryOnConflict(async () => {
    const node = await context.nodes.get(nodeId);
    if (!node) return undefined;
    if (node.scheduling === 'Pause') return node;
    return context.nodes.update(node.id, node.version, { scheduling: 'Pause' });
  });
  if (!paused) throw new NotFoundError('Node not registered');
  const deadline = within(context, context.inlineReconcileMs);
  const moved = new Map<string, TenantShardId>();
  for (;;) {
    const node = await context.nodes.get(nodeId);
    if (!node) break; // a concurrent delete finished it
    const ids = (await context.tenants.nodeMemberships(nodeId)).map((m) => m.id);
    const scheduler = new Scheduler(
      (await context.nodes.list()).filter((n) => n.id !== nodeId).map(schedulerNode),
    );
    await updateShardsInPages(
      context.tenants,
      ids,
      (shard) => withoutNode(shard, nodeId, scheduler, () => context.metrics.schedulingErrors.inc()),
      (after, before) => {
        if (after.intent.attached !== before.intent.attached && after.intent.attached !== null)
          moved.set(formatTenantShardId(after.id), after.id);
      },
    );
    try {
      await context.nodes.deleteIfUnreferenced(nodeId, node.version);
      break;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Referenced again meanwhile (a placement raced the pass), or the node changed: once more.
      if (Date.now() >= deadline)
        throw new UnavailableError(
          `Node ${nodeId} is still referenced; its deletion is partly done, retry`,
          1,
        );
    }
  }
  // What an in-flight call recorded after the pass (an observed entry) is forgotten the same way.
  const leftovers = (await context.tenants.nodeMemberships(nodeId)).map((m) => m.id);
  if (leftovers.length > 0) {
    const scheduler = new Scheduler((await context.nodes.list()).map(schedulerNode));
    await updateShardsInPages(context.tenants, leftovers, (shard) =>
      withoutNode(shard, nodeId, scheduler, () => context.metrics.schedulingErrors.inc()),
    );
  }
  // The moved shards are attached elsewhere now if the budget allows; the rest is reconcile-all's.
  await reconcileInline([...moved.values()], reconcileDeps(context, owner), deadline);
}
