// Debug drops: forget a tenant (detaching what it has on pageservers) or a node (without
// rescheduling its shards).

import { forEachLimited } from '../core/concurrency';
import { NotFoundError } from '../core/errors';
import { detachConf } from '../core/model/location-config';
import { intentNodes, shardIdentity } from '../core/model/tenant-shard';
import type { NodeStore, PageserverApi, TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';
import { sendLocationConfig } from '../reconciler/send-location-config';
import { TENANT_WRITE_ATTEMPTS } from '../tenants/reschedule-tenant';

const DETACH_TIMEOUT_MS = 2_000;

/**
 * Forgets a tenant. Unlike the original, its locations are first detached (best effort, briefly):
 * a location the controller has forgotten would otherwise run on with nobody to fence it, and the
 * consistency check would rightly call it an orphan. Its remote data stays; a later import
 * (location_config with a generation) brings it back.
 */
export async function dropTenant(
  context: { tenants: TenantStore; nodes: NodeStore; pageservers: PageserverApi },
  tenantId: string,
): Promise<void> {
  const { tenants } = context;
  const existing = await tenants.getTenantWithShards(tenantId);
  if (existing) {
    const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
    await Promise.all(
      existing.shards.flatMap((shard) =>
        [...new Set([...intentNodes(shard.intent), ...Object.keys(shard.observed).map(Number)])].map(
          async (nodeId) => {
            const node = nodes.get(nodeId);
            if (!node) return;
            await sendLocationConfig(
              context,
              node,
              shard.id,
              detachConf(shardIdentity(shard), shard.config),
              {
                timeoutMs: DETACH_TIMEOUT_MS,
              },
            ).catch(() => undefined);
          },
        ),
      ),
    );
  }
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
