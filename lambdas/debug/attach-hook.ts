// The test harness's attach-hook: issue a generation for a shard on a node by hand (or take it
// away), recording the result as already observed so reconciles leave it alone.
import { NotFoundError } from '../core/errors';
import { DEFAULT_STRIPE_SIZE, type TenantShardId } from '../core/ids';
import { attachedConf } from '../core/model/location-config';
import { newTenant } from '../core/model/tenant';
import { newShard, shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import type { NodeStore, TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

export async function attachHook(
  stores: { tenants: TenantStore; nodes: NodeStore },
  id: TenantShardId,
  nodeId: number | null,
): Promise<number | null> {
  if (nodeId !== null && !(await stores.nodes.get(nodeId))) throw new NotFoundError('Node not registered');
  return retryOnConflict(async () => {
    let shard = await stores.tenants.getShard(id);
    if (!shard) {
      const fresh = newShard({
        id,
        stripeSize: DEFAULT_STRIPE_SIZE,
        generation: 0,
        policy: { kind: 'Attached', secondaries: 0 },
        config: {},
        intent: { attached: null, secondary: [] },
      });
      if (await stores.tenants.getTenant(id.tenantId))
        await stores.tenants.saveShards([{ before: null, after: fresh }]);
      else {
        await stores.tenants.createTenant(
          newTenant({
            tenantId: id.tenantId,
            shardCount: id.count,
            stripeSize: fresh.stripeSize,
            policy: fresh.policy,
            config: {},
          }),
          [fresh],
        );
      }
      shard = (await stores.tenants.getShard(id))!;
    }
    let after: TenantShard;
    if (nodeId === null) {
      after = {
        ...shard,
        generationPageserver: null,
        policy: { kind: 'Detached' },
        intent: { attached: null, secondary: [] },
        observed: {},
      };
    } else {
      const generation = shard.generation + 1;
      after = {
        ...shard,
        generation,
        generationPageserver: nodeId,
        policy: shard.policy.kind === 'Attached' ? shard.policy : { kind: 'Attached', secondaries: 0 },
        intent: { attached: nodeId, secondary: shard.intent.secondary.filter((n) => n !== nodeId) },
        observed: { [String(nodeId)]: attachedConf(shardIdentity(shard), shard.config, generation) },
      };
    }
    await stores.tenants.saveShards([{ before: shard, after }]);
    return nodeId === null ? null : after.generation;
  });
}
