// A notification delivered while a shard moved must not clear the flag the move left: the
// control plane still has to hear about the new placement.
import { expect, it } from 'vitest';
import { attachedConf } from '../../lambdas/core/model/location-config';
import { shardIdentity } from '../../lambdas/core/model/tenant-shard';
import { isDirty } from '../../lambdas/core/reconcile-plan';
import { notifyTenant } from '../../lambdas/notifications/notify-tenant';
import { reconcileDeps } from '../../lambdas/reconciler/reconcile-shard';
import { addNodes, memoryWorld, seedTenant } from '../support/memory';

it('a placement change during delivery keeps its owed flag', async () => {
  const w = memoryWorld();
  const nodes = new Map((await addNodes(w.nodes, [1, 2])).map((n) => [n.id, n]));
  const { tenant, shards } = await seedTenant(w.tenants, {
    attached: [1],
    shape: (s) => ({
      ...s,
      generationPageserver: 1,
      pendingComputeNotification: true,
      observed: { '1': attachedConf(shardIdentity(s), s.config, s.generation) },
    }),
  });
  const id = shards[0]!.id;
  // While the hook is delivering "node 1", a reconcile moves the shard to node 2 (attach
  // confirmed in a newer generation, notification owed) and then stops (deadline).
  w.computeHook.onNotify = async () => {
    if (w.computeHook.attempts.length > 1) return;
    const s = (await w.tenants.getShard(id))!;
    const gen = s.generation + 1;
    await w.tenants.saveShards([
      {
        before: s,
        after: {
          ...s,
          generation: gen,
          generationPageserver: 2,
          intent: { attached: 2, secondary: [] },
          pendingComputeNotification: true,
          observed: { '2': attachedConf(shardIdentity(s), s.config, gen) },
        },
      },
    ]);
  };
  await notifyTenant(tenant.tenantId, reconcileDeps(w.context, 'n'), nodes, Date.now() + 5000);
  const after = (await w.tenants.getShard(id))!;
  console.log('delivered', JSON.stringify(w.computeHook.delivered.map((d) => d.shards)));
  console.log('pending', after.pendingComputeNotification, 'dirty', isDirty(after));
  // Node 2 was never announced, so the shard must still owe a notification.
  expect(
    after.pendingComputeNotification || w.computeHook.delivered.some((d) => d.shards[0]?.node_id === 2),
  ).toBe(true);
});
