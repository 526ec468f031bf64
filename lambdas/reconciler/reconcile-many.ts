// API operations reconcile the shards they changed before answering, within a deadline; what is
// not finished stays dirty for reconcile-all. Each tenant is notified once, after its shards,
// rather than once per shard.
import { forEachLimited, mapLimited } from '../core/concurrency';
import type { TenantShardId } from '../core/ids';
import { notifyTenant } from '../notifications/notify-tenant';
import {
  LEASE_MS,
  type ReconcileDeps,
  type ReconcileOutcome,
  reconcileShard,
  shardRunOwner,
} from './reconcile-shard';
import { updateShard } from './shard-update';

const CONCURRENCY = 16;

export async function reconcileInline(
  ids: TenantShardId[],
  deps: ReconcileDeps,
  deadline: number,
): Promise<ReconcileOutcome[]> {
  const taken = await takeLeasesTogether(ids, deps);
  const outcomes = await mapLimited(ids, CONCURRENCY, (id, i) =>
    reconcileShard(id, { ...deps, deferNotify: true }, deadline, taken[i]).catch((error: Error) => ({
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

/**
 * The shard leases of each tenant with several shards here, in one write per tenant: each checks
 * the tenant's lease, and taken one by one at once they would meet in DynamoDB's transaction
 * conflicts on it. Where that fails (a lease held elsewhere), each shard's run tries its own.
 */
async function takeLeasesTogether(ids: TenantShardId[], deps: ReconcileDeps): Promise<boolean[]> {
  const byTenant = new Map<string, TenantShardId[]>();
  for (const id of ids) byTenant.set(id.tenantId, [...(byTenant.get(id.tenantId) ?? []), id]);
  const held = new Set<string>();
  const several = [...byTenant].filter(([, shards]) => shards.length > 1);
  await forEachLimited(several, CONCURRENCY, async ([tenantId, shards]) => {
    const owners = shards.map((id) => ({ id, owner: shardRunOwner(deps.owner, id) }));
    const ok = await deps.leases.acquireShards(tenantId, owners, LEASE_MS, deps.under).catch(() => false);
    if (ok) for (const { owner } of owners) held.add(owner);
  });
  return ids.map((id) => held.has(shardRunOwner(deps.owner, id)));
}
