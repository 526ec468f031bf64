// Tenant delete against in-memory ports: a pageserver that fails its delete makes the caller
// retry, but only once every other pageserver's delete has answered, and the deletion keeps the
// tenant meanwhile (a pageserver may still be deleting in the generation it holds: a move now
// would issue a newer one under it).
import { beforeEach, describe, expect, it } from 'vitest';
import { TENANT_OPERATION_LEASE } from '../../lambdas/core/leases';
import { attachedConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { reconcileDeps, reconcileShard } from '../../lambdas/reconciler/reconcile-shard';
import { deleteTenant } from '../../lambdas/tenants/delete-tenant';
import { addNodes, type MemoryWorld, memoryWorld, refusal, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
});

const settled = (s: TenantShard, node: number): TenantShard => ({
  ...s,
  generationPageserver: node,
  observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, s.generation) },
});

async function twoShardsOn1And2() {
  const { tenant, shards } = await seedTenant(w.tenants, {
    count: 2,
    attached: [1, 2],
    shape: (s) => settled(s, s.intent.attached!),
  });
  return { tenantId: tenant.tenantId, shards };
}

describe('deleteTenant', () => {
  it('answers 503 only once every pageserver answered, and keeps the tenant until the retry', async () => {
    const { tenantId, shards } = await twoShardsOn1And2();
    w.pageservers.failNext({ method: 'deleteTenant', node: 1 }, refusal(500, 'boom'));
    let slowAnswered = false;
    w.pageservers.intercept(async (call) => {
      if (call.method !== 'deleteTenant' || call.node !== 2) return;
      await new Promise((r) => setTimeout(r, 50));
      slowAnswered = true;
    });
    await expect(deleteTenant(w.context, tenantId)).rejects.toMatchObject({ status: 503 });
    expect(slowAnswered).toBe(true);
    // The deletion still owns the tenant: nothing issues a newer generation under node 2.
    expect(await w.leases.holder(tenantId, TENANT_OPERATION_LEASE)).toMatchObject({
      owner: `delete-tenant-${tenantId}`,
    });
    expect(
      await reconcileShard(shards[1]!.id, reconcileDeps(w.context, 'mover'), Date.now() + 1_000),
    ).toEqual({
      status: 'busy',
    });
    // The caller's retry is the same deletion: it goes on, finishes, and frees the tenant.
    expect(await deleteTenant(w.context, tenantId)).toBe('done');
    expect(await w.tenants.getTenant(tenantId)).toBeUndefined();
    expect(await w.leases.holder(tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
  });
});
