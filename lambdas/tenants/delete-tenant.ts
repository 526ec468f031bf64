// Tenant delete, as the tenant's only operation: every shard is deleted on its attached
// pageserver first (their remote data with it); then every other location the controller knows of
// (secondaries, stale attachments, locations in an unknown state) is detached; only when all of
// that is done are the records removed. A pageserver that cannot be reached makes the caller retry
// (503) rather than leave a location behind. Unknown tenants are already gone.
import type { AppContext } from '../app/context';
import { NotFoundError, PageserverError, UnavailableError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { detachConf } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { withTenantOperation } from '../leases/tenant-operation';
import { sendLocationConfig } from '../reconciler/send-location-config';
import { ensureAttached, refuseWhileSplitting } from './ensure-attached';
import { TENANT_WRITE_ATTEMPTS } from './reschedule-tenant';

/** A node marked Offline may still be up: it is tried, briefly. */
const OFFLINE_TIMEOUT_MS = 2_000;

/** A deletion that must be retried; `error` is the caller's answer (503). */
type Outcome = 'in-progress' | 'done' | { retry: Error };

export async function deleteTenant(context: AppContext, tenantId: string): Promise<'in-progress' | 'done'> {
  if (!(await context.tenants.getTenant(tenantId))) return 'done';
  await refuseWhileSplitting(context, tenantId);
  // The deletion owns the tenant, not the request: see deleteTimeline (a pageserver still
  // deleting must not see the tenant moved before the caller's retry). It keeps owning it when
  // a pageserver's answer was lost or refused once deleting began: that pageserver may be
  // deleting still, in the generation it holds, and a move meanwhile would issue a newer one.
  const deletion = `delete-tenant-${tenantId}`;
  const outcome = await withTenantOperation(
    context,
    tenantId,
    deletion,
    () => deleteAsOperation(context, tenantId, deletion),
    { keepWhile: (state) => state !== 'done' },
  );
  if (typeof outcome === 'object') throw outcome.retry;
  return outcome;
}

async function deleteAsOperation(context: AppContext, tenantId: string, owner: string): Promise<Outcome> {
  const placed = await context.tenants.getTenantWithShards(tenantId);
  if (!placed) return 'done';
  // A tenant that is not attached anywhere by policy (Secondary, Detached) has no pageserver to
  // delete it through: its locations are detached and its records removed. Its remote data stays
  // in storage (the original refuses such a delete altogether).
  const attachedByPolicy = placed.shards.some((s) => s.intent.attached !== null);
  let attached: Awaited<ReturnType<typeof ensureAttached>> = { tenant: placed.tenant, shards: [] };
  try {
    if (attachedByPolicy) attached = await ensureAttached(context, tenantId, owner, owner);
  } catch (error) {
    if (error instanceof NotFoundError) return 'done';
    throw error;
  }
  try {
    return await deleteEverywhere(context, tenantId, attached.shards);
  } catch (error) {
    return { retry: error as Error };
  }
}

/** Deletes on each shard's attached pageserver, detaches every other location, removes the records. */
async function deleteEverywhere(
  context: AppContext,
  tenantId: string,
  attachedShards: Awaited<ReturnType<typeof ensureAttached>>['shards'],
): Promise<'in-progress' | 'done'> {
  // Every shard's pageserver at once: a repeat DELETE while one is busy counts as progress. All
  // answers are awaited before any failure is answered, so that no call is still on its way.
  const settled = await Promise.allSettled(
    attachedShards.map(async ({ shard, node }) => {
      try {
        return await context.pageservers.deleteTenant(node, shard.id);
      } catch (error) {
        if (error instanceof PageserverError && (error.status === 409 || error.status === 412))
          return 'in-progress';
        throw new UnavailableError(
          `Error deleting shard ${formatTenantShardId(shard.id)} on node ${node.id}: ${(error as Error).message}`,
          5,
        );
      }
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (settled.some((r) => r.status === 'fulfilled' && r.value === 'in-progress')) return 'in-progress';

  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  const current = await context.tenants.getTenantWithShards(tenantId);
  if (!current) return 'done';
  const deletedOn = new Map(
    attachedShards.map(({ shard, node }) => [formatTenantShardId(shard.id), node.id]),
  );
  await Promise.all(
    current.shards.flatMap((shard) =>
      otherLocations(shard, deletedOn.get(formatTenantShardId(shard.id))).map((nodeId) =>
        detachFrom(context, nodes.get(nodeId), shard),
      ),
    ),
  );
  await retryOnConflict(async () => {
    const latest = await context.tenants.getTenantWithShards(tenantId);
    if (!latest) return;
    await context.tenants.saveShards(latest.shards.map((before) => ({ before, after: null })));
    await context.tenants.deleteTenantItem(latest.tenant);
  }, TENANT_WRITE_ATTEMPTS);
  return 'done';
}

/** Every node that may hold a location of the shard, but the one it was deleted on. */
function otherLocations(shard: TenantShard, deletedOn: number | undefined): number[] {
  const nodes = new Set([...shard.intent.secondary, ...Object.keys(shard.observed).map(Number)]);
  if (shard.intent.attached !== null) nodes.add(shard.intent.attached);
  if (deletedOn !== undefined) nodes.delete(deletedOn);
  return [...nodes].sort((a, b) => a - b);
}

async function detachFrom(
  context: AppContext,
  node: PageserverNode | undefined,
  shard: TenantShard,
): Promise<void> {
  // A dropped node holds nothing we can reach or that anyone will use.
  if (!node) return;
  const offline = node.availability === 'Offline';
  try {
    await sendLocationConfig(context, node, shard.id, detachConf(shardIdentity(shard), shard.config), {
      timeoutMs: offline ? OFFLINE_TIMEOUT_MS : undefined,
    });
  } catch (error) {
    // Done means no location left: a node that may still hold one and does not answer (Offline
    // or not) makes the caller retry; once the node is back, or deleted, the delete finishes.
    throw new UnavailableError(
      `Could not detach ${formatTenantShardId(shard.id)} from node ${node.id}: ${(error as Error).message}`,
      5,
    );
  }
}
