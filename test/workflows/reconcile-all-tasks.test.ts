// Reconcile-all's per-shard task on in-memory ports: a shard the dirty index listed but that an
// inline reconcile settled meanwhile (a create finishing) costs one read, no lease; a shard still
// dirty is reconciled; one its policy attaches but no node is intended to hold is placed first.
import { beforeEach, expect, it } from 'vitest';
import { runTask } from '../../lambdas/app/task';
import { formatTenantShardId } from '../../lambdas/core/ids';
import { createAndPlaceTenant } from '../../lambdas/tenants/create-tenant';
import { reconcileAllTasks } from '../../lambdas/workflows/reconcile-all/tasks';
import { addNodes, type MemoryWorld, memoryWorld, newTenantId, seedTenant } from '../support/memory';

const task = reconcileAllTasks.find((t) => t.name === 'ReconcileShard')!;
let w: MemoryWorld;
let leaseTakes = 0;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1]);
  const acquire = w.leases.acquireShard.bind(w.leases);
  leaseTakes = 0;
  w.leases.acquireShard = (...args) => {
    leaseTakes += 1;
    return acquire(...args);
  };
});

const create = async () =>
  (
    await createAndPlaceTenant(
      w.context,
      {
        tenantId: newTenantId(),
        generation: 0,
        shardCount: 0,
        stripeSize: 32768,
        policy: { kind: 'Attached', secondaries: 0 },
        config: {},
      },
      'create',
    )
  ).shards[0]!;

it('answers ok for a shard settled since the index listed it, taking no lease', async () => {
  const shard = await create();
  leaseTakes = 0;
  const out = await runTask(task, { shard: formatTenantShardId(shard.id), execution: 'pass-1' }, w.context);
  expect(out).toEqual({ shard: formatTenantShardId(shard.id), status: 'ok', started: false });
  expect(leaseTakes).toBe(0);
});

it('reconciles a shard that is still dirty', async () => {
  w.pageservers.down.add(1);
  const shard = await create();
  w.pageservers.down.delete(1);
  leaseTakes = 0;
  expect(w.tenants.dirtyIds()).toEqual([formatTenantShardId(shard.id)]);
  const out = await runTask(task, { shard: formatTenantShardId(shard.id), execution: 'pass-1' }, w.context);
  expect(out).toEqual({ shard: formatTenantShardId(shard.id), status: 'ok', started: true });
  expect(leaseTakes).toBe(1);
  expect(w.tenants.dirtyIds()).toEqual([]);
});

it('places a shard its policy attaches but that no node is intended to hold, then attaches it', async () => {
  // Its node was deleted while no other could take it: attached by policy, by intent nowhere.
  const { shards } = await seedTenant(w.tenants, { attached: [null] });
  const id = formatTenantShardId(shards[0]!.id);
  const out = await runTask(task, { shard: id, execution: 'pass-1' }, w.context);
  expect(out).toMatchObject({ shard: id, status: 'ok', started: true });
  const after = (await w.tenants.getShard(shards[0]!.id))!;
  expect(after.intent.attached).toBe(1);
  expect(after.observed['1']).toMatchObject({ mode: 'AttachedSingle', generation: after.generation });
  expect(w.tenants.dirtyIds()).toEqual([]);
});

it('lists a shard with no node intended among the ones to visit, so a pass places it', async () => {
  const { shards } = await seedTenant(w.tenants, { attached: [null] });
  const list = reconcileAllTasks.find((t) => t.name === 'ListDirty')!;
  const page = (await runTask(list, { cursor: null }, w.context)) as { ids: string[] };
  expect(page.ids).toEqual([formatTenantShardId(shards[0]!.id)]);
});
