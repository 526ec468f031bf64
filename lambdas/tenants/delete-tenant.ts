// Tenant delete: every shard is deleted on its pageserver first (their remote data with it);
// only when all say "gone" are the records removed. Unknown tenants are already gone.

import type { AppContext } from '../app/context';
import { InternalError, NotFoundError, PageserverError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { detachConf } from '../core/model/location-config';
import { shardIdentity } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { ensureAttached } from './ensure-attached';
import { TENANT_WRITE_ATTEMPTS } from './reschedule-tenant';

export async function deleteTenant(
  context: AppContext,
  tenantId: string,
  owner: string,
): Promise<'in-progress' | 'done'> {
  let attached: Awaited<ReturnType<typeof ensureAttached>>;
  try {
    attached = await ensureAttached(context, tenantId, owner);
  } catch (error) {
    if (error instanceof NotFoundError) return 'done';
    throw error;
  }
  // Every shard's pageserver at once: a repeat DELETE while one is busy counts as progress.
  const states = await Promise.all(
    attached.shards.map(async ({ shard, node }) => {
      try {
        return await context.pageservers.deleteTenant(node, shard.id);
      } catch (error) {
        if (error instanceof PageserverError && (error.status === 409 || error.status === 412))
          return 'in-progress';
        throw new InternalError(
          `Error deleting shard ${formatTenantShardId(shard.id)} on node ${node.id}: ${(error as Error).message}`,
        );
      }
    }),
  );
  if (states.includes('in-progress')) return 'in-progress';

  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  await retryOnConflict(async () => {
    const current = await context.tenants.getTenantWithShards(tenantId);
    if (!current) return;
    // Secondary locations hold only a cache: drop them, best effort.
    await Promise.all(
      current.shards.flatMap((shard) =>
        shard.intent.secondary.map(async (nodeId) => {
          const node = nodes.get(nodeId);
          if (!node || node.availability === 'Offline') return;
          await context.pageservers
            .putLocationConfig(node, shard.id, detachConf(shardIdentity(shard), shard.config))
            .catch(() => undefined);
        }),
      ),
    );
    await context.tenants.saveShards(current.shards.map((before) => ({ before, after: null })));
    await context.tenants.deleteTenantItem(current.tenant);
  }, TENANT_WRITE_ATTEMPTS);
  return 'done';
}
