// Timeline and tenant operations need every shard attached somewhere known. Shards that are
// not there yet are reconciled inline; if that does not finish, the caller is told to retry.
import { type AppContext, within } from '../app/context';
import { placedNode } from '../core/compute-notification';
import { ConflictError, NotFoundError, UnavailableError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import type { PageserverNode } from '../core/model/node';
import type { Tenant } from '../core/model/tenant';
import type { TenantShard } from '../core/model/tenant-shard';
import { isDirty } from '../core/reconcile-plan';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';

export interface AttachedShard {
  shard: TenantShard;
  node: PageserverNode;
}

const ENSURE_ATTACHED_MS = 5_000;

/** Tenant operations answer at once while a split runs, rather than wait for its lease. */
export async function refuseWhileSplitting(
  context: Pick<AppContext, 'tenants'>,
  tenantId: string,
): Promise<void> {
  const current = await context.tenants.getTenantWithShards(tenantId);
  if (current?.shards.some((s) => s.splitting))
    throw new UnavailableError('Tenant shards are currently splitting', 5);
}

export async function ensureAttached(
  context: AppContext,
  tenantId: string,
  owner: string,
  /** The tenant operation the caller holds, if any: its own reconciles may run under it. */
  under?: string,
): Promise<{ tenant: Tenant; shards: AttachedShard[] }> {
  let current = await context.tenants.getTenantWithShards(tenantId);
  if (!current) throw new NotFoundError('Tenant not found');
  if (current.shards.some((s) => s.splitting))
    throw new UnavailableError('Tenant shards are currently splitting', 5);
  const dirty = current.shards.filter((s) => isDirty(s));
  if (dirty.length > 0) {
    await reconcileInline(
      dirty.map((s) => s.id),
      { ...reconcileDeps(context, owner), under },
      within(context, ENSURE_ATTACHED_MS),
    );
    current = await context.tenants.getTenantWithShards(tenantId);
    if (!current) throw new NotFoundError('Tenant not found');
  }
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  const shards: AttachedShard[] = [];
  for (const shard of current.shards) {
    if (shard.intent.attached === null) {
      throw new ConflictError(`Shard ${formatTenantShardId(shard.id)} is not attached (placement policy)`);
    }
    const nodeId = placedNode(shard);
    const node = nodeId === null ? undefined : nodes.get(nodeId);
    if (!node) {
      throw new UnavailableError(
        `Shard ${formatTenantShardId(shard.id)} is not attached yet: ${shard.lastError ?? 'reconcile in progress'}`,
        5,
      );
    }
    shards.push({ shard, node });
  }
  return { tenant: current.tenant, shards };
}
