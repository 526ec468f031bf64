// Startup's placement on in-memory ports: shards whose policy attaches them but that have no
// attached node get one (where a live node holds them attached, else scheduled), found through the
// sparse index: tenants with nothing to place are not read at all.
import { beforeEach, expect, it } from 'vitest';
import { attachedConf } from '../../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../../lambdas/core/model/tenant-shard';
import { placeUnplaced } from '../../../lambdas/workflows/startup/steps';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
});

const heldOn =
  (node: number, gen = 3) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generation: gen,
    generationPageserver: node,
    observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, gen) },
  });

it('places what has no attached node, reading only the sparse index and those shards', async () => {
  for (let i = 0; i < 60; i++)
    await seedTenant(w.tenants, { attached: [1 + (i % 3)], shape: heldOn(1 + (i % 3)) });
  // Lost its attachment while node 2 still holds it; another lost it with nothing observed.
  const held = await seedTenant(w.tenants, { attached: [null], shape: heldOn(2) });
  const bare = await seedTenant(w.tenants, { attached: [null] });
  const reads = { getTenantWithShards: 0, getShard: 0, getShards: 0 };
  for (const name of Object.keys(reads) as Array<keyof typeof reads>) {
    const original = (w.tenants[name] as (...a: unknown[]) => Promise<unknown>).bind(w.tenants);
    (w.tenants as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      reads[name] += 1;
      return original(...a);
    };
  }
  expect(await placeUnplaced(w.context, null)).toEqual({ placed: 2, next: null });
  expect((await w.tenants.getShard(held.shards[0]!.id))?.intent.attached).toBe(2);
  expect((await w.tenants.getShard(bare.shards[0]!.id))?.intent.attached).not.toBeNull();
  // One page of the index, read in one batch; nothing per tenant.
  expect(reads).toMatchObject({ getTenantWithShards: 0, getShards: 1 });
  expect(await placeUnplaced(w.context, null)).toEqual({ placed: 0, next: null });
});
