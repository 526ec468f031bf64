// API operations reconcile the shards they changed before answering, within a deadline; what is
// not finished stays dirty for reconcile-all. Each tenant is notified once, after its shards,
// rather than once per shard.
import { mapLimited } from '../core/concurrency';
import type { TenantShardId } from '../core/ids';
import { notifyTenant } from '../notifications/notify-tenant';
import { type ReconcileDeps, type ReconcileOutcome, reconcileShard } from './reconcile-shard';
import { updateShard } from './shard-update';

const CONCURRENCY = 16;

export async function reconcileInline(
  ids: TenantShardId[],
  deps: ReconcileDeps,
  deadline: number,
): Promise<ReconcileOutcome[]> {
  const outcomes = await mapLimited(ids, CONCURRENCY, (id) =>
    reconcileShard(id, { ...deps, deferNotify: true }, deadline).catch((error: Error) => ({
      status: 'error' as const,
      message: error.message,
    })),
  );
  // Sent clears every owed flag in its write. Nothing to send (no hook, the same placement as
  // last delivered, a shard not placed yet) settles what the shards reconciled here owed, as each
  // shard's own notify step would. A failure leaves the flags set: reconcile-all finishes it.
  const settled = ids.filter((_, i) => outcomes[i]!.status === 'ok');
  const tenants = [...new Set(ids.map((id) => id.tenantId))];
  const nodes = new Map((await deps.nodes.list()).map((n) => [n.id, n]));
  await mapLimited(tenants, CONCURRENCY, async (tenantId) => {
    const outcome = await notifyTenant(tenantId, deps, nodes, deadline).catch((error: Error) => ({
      status: 'failed' as const,
      message: error.message,
    }));
    if (outcome.status !== 'skipped') return;
    for (const id of settled.filter((s) => s.tenantId === tenantId))
      await updateShard(deps.tenants, id, (s) =>
        s.pendingComputeNotification ? { ...s, pendingComputeNotification: false } : null,
      );
  });
  return outcomes;
}
