// A new tenant placed in as few DynamoDB calls as its safety allows: created holding its tenant
// lease with each shard's first generation already issued to its node, one strongly consistent
// read of the shards before anything is sent (the send guard, for all shards at once), the
// pageserver calls, the compute hook, then one write of every shard's observed state, the
// notification delivered and the lease given up. Whatever goes differently (a call fails, a shard
// was written meanwhile) is left to the ordinary reconcile, under the lease this create holds.
//
// Why the lease: until the last write, the new shards are dirty (their locations unknown), and
// reconcile-all or another request could act on them. The tenant's OPERATION lease, taken in the
// create's own transaction, keeps every shard reconcile and tenant operation off (a shard lease is
// refused while another owner holds it); it expires if this request dies, and reconcile-all then
// finishes the job from what the table says.
import { type AppContext, within } from '../app/context';
import { buildComputeNotification, notificationFingerprint } from '../core/compute-notification';
import { mapLimited } from '../core/concurrency';
import { VersionConflictError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { TENANT_OPERATION_LEASE } from '../core/leases';
import { attachedConf, type LocationConfig, secondaryConf } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { withoutSending, withSending } from '../core/model/sending';
import type { Tenant } from '../core/model/tenant';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { reconcileInline } from '../reconciler/reconcile-many';
import { LEASE_MS, type ReconcileOutcome, reconcileDeps } from '../reconciler/reconcile-shard';
import { sendLocationConfig } from '../reconciler/send-location-config';

/** Shards placed at once (each is one attach, plus its secondaries). */
const CONCURRENCY = 16;

/** The lease a create holds from its write until its shards are placed. */
export const createLease = (owner: string) => ({ name: TENANT_OPERATION_LEASE, owner, ttlMs: LEASE_MS });

/**
 * The shard as created for the fast path: its first generation issued to the node its intent
 * attaches it to, every intended location unknown (dirty, so a crash leaves it to reconcile-all),
 * and the control plane owed its placement.
 */
export function issuedAtCreate(shard: TenantShard): TenantShard {
  const attached = shard.intent.attached;
  if (attached === null) return shard;
  const observed: TenantShard['observed'] = { [String(attached)]: null };
  for (const node of shard.intent.secondary) observed[String(node)] = null;
  return {
    // Its attach is on its way from the moment the create is written (core/model/sending.ts).
    ...withSending(shard, attached),
    generation: shard.generation + 1,
    generationPageserver: attached,
    observed,
    pendingComputeNotification: true,
  };
}

type Outcome = { placed: TenantShard[] } | { fallback: string };

/**
 * Places the shards of a tenant this request just created with `createLease(owner)` and the
 * shards `issuedAtCreate` (all at version 1, the tenant too). Returns the shards as they are now,
 * and each one's reconcile outcome (all ok when the fast path placed them).
 */
export async function placeNewTenant(
  context: AppContext,
  tenant: Tenant,
  created: TenantShard[],
  nodes: PageserverNode[],
  owner: string,
): Promise<{ shards: TenantShard[]; outcomes: ReconcileOutcome[] }> {
  const deadline = within(context, context.inlineReconcileMs);
  const outcome = await tryPlace(context, tenant, created, nodes, owner, deadline).catch(
    (error: Error): Outcome => ({ fallback: error.message }),
  );
  if ('placed' in outcome)
    return { shards: outcome.placed, outcomes: outcome.placed.map(() => ({ status: 'ok' })) };
  context.log.info('create: placing the new tenant shard by shard', {
    tenant: tenant.tenantId,
    reason: outcome.fallback,
  });
  // Reconciled under the lease this create holds, then the lease given up whatever happened.
  let outcomes: ReconcileOutcome[];
  try {
    outcomes = await reconcileInline(
      created.map((s) => s.id),
      { ...reconcileDeps(context, owner), under: owner },
      deadline,
    );
  } finally {
    await context.leases.release(tenant.tenantId, TENANT_OPERATION_LEASE, owner);
  }
  const shards = (await context.tenants.getTenantWithShards(tenant.tenantId))?.shards ?? created;
  return { shards, outcomes };
}

async function tryPlace(
  context: AppContext,
  tenant: Tenant,
  created: TenantShard[],
  nodeList: PageserverNode[],
  owner: string,
  deadline: number,
): Promise<Outcome> {
  const nodes = new Map(nodeList.map((n) => [n.id, n]));
  // The send guard, once for all shards: read after our own write, each shard must still be as
  // created (nothing, a re-attach included, has issued a newer generation). Retries read again.
  const current = new Map(
    (await context.tenants.getShards(created.map((s) => s.id))).map((s) => [formatTenantShardId(s.id), s]),
  );
  const changed = created.find((s) => current.get(formatTenantShardId(s.id))?.version !== s.version);
  if (changed) return { fallback: `shard ${formatTenantShardId(changed.id)} was written meanwhile` };

  const failures: string[] = [];
  const placed = await mapLimited(created, CONCURRENCY, async (shard) => {
    const identity = shardIdentity(shard);
    const observed: TenantShard['observed'] = {};
    const targets: Array<[number, LocationConfig]> = [
      [shard.intent.attached!, attachedConf(identity, shard.config, shard.generation)],
      ...shard.intent.secondary.map((n): [number, LocationConfig] => [
        n,
        secondaryConf(identity, shard.config),
      ]),
    ];
    for (const [nodeId, conf] of targets) {
      const node = nodes.get(nodeId);
      if (node?.availability !== 'Active' || Date.now() >= deadline) {
        failures.push(`node ${nodeId} is not available`);
        return shard;
      }
      try {
        await sendLocationConfig(context, node, shard.id, conf, { checkedBeforeFirst: true });
      } catch (error) {
        failures.push((error as Error).message);
        return shard;
      }
      observed[String(nodeId)] = conf;
    }
    return { ...shard, observed };
  });
  if (failures.length > 0) return { fallback: failures[0]! };

  const metrics = context.metrics.reconcileMetrics();
  const notification = context.computeHook ? buildComputeNotification(tenant.tenantId, placed) : null;
  let delivered: string | null = null;
  let owed = false;
  if (context.computeHook && notification) {
    const result = await context.computeHook.notify(notification, deadline);
    metrics.computeNotification(result.ok ? 'ok' : 'error');
    // A failed call may still have reached the hook: nothing is remembered as delivered, and the
    // shards keep owing it (reconcile-all sends it again).
    if (result.ok) delivered = notificationFingerprint(notification);
    else owed = true;
  } else metrics.computeNotification('skipped');

  try {
    const saved = await context.tenants.saveShards(
      created.map((before, i) => ({
        before,
        after: { ...withoutSending(placed[i]!), pendingComputeNotification: owed },
      })),
      delivered === null
        ? undefined
        : { before: tenant, after: { ...tenant, lastComputeNotification: delivered } },
      createLease(owner),
    );
    return { placed: saved };
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    // Written meanwhile (a re-attach of a node, say): reconciled from what the table holds now.
    return { fallback: `the tenant was written while it was placed: ${error.message}` };
  }
}
