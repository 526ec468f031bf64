// Debug drops: forget a tenant or a node without touching any pageserver.

import { forEachLimited } from '../core/concurrency';
import { NotFoundError } from '../core/errors';
import type { NodeStore, TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';
import { TENANT_WRITE_ATTEMPTS } from '../tenants/reschedule-tenant';

export async function dropTenant(tenants: TenantStore, tenantId: string): Promise<void> {
  await retryOnConflict(async () => {
    const current = await tenants.getTenantWithShards(tenantId);
    if (!current) return;
    await tenants.saveShards(current.shards.map((before) => ({ before, after: null })));
    await tenants.deleteTenantItem(current.tenant);
  }, TENANT_WRITE_ATTEMPTS);
}

/** Removes every reference to the node from shards (without rescheduling them), then the node. */
export async function dropNode(
  stores: { tenants: TenantStore; nodes: NodeStore },
  nodeId: number,
): Promise<void> {
  if (!(await stores.nodes.get(nodeId))) throw new NotFoundError('Node not registered');
  const key = String(nodeId);
  await forEachLimited(await stores.tenants.nodeMemberships(nodeId), 8, async ({ id }) => {
    await retryOnConflict(async () => {
      const shard = await stores.tenants.getShard(id);
      if (!shard) return;
      const observed = { ...shard.observed };
      delete observed[key];
      await stores.tenants.saveShards([
        {
          before: shard,
          after: {
            ...shard,
            observed,
            generationPageserver: shard.generationPageserver === nodeId ? null : shard.generationPageserver,
            intent: {
              attached: shard.intent.attached === nodeId ? null : shard.intent.attached,
              secondary: shard.intent.secondary.filter((n) => n !== nodeId),
            },
          },
        },
      ]);
    }, 20);
  });
  await stores.nodes.delete(nodeId);
}
