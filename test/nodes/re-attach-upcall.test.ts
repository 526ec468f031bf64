// The re-attach upcall as newer pageservers make it, on in-memory ports: self-registration, a mode
// per entry, secondaries listed, stripe_size for sharded tenants.
import { beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError } from '../../lambdas/core/errors';
import { DEFAULT_STRIPE_SIZE, formatTenantShardId } from '../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { reAttachUpcall } from '../../lambdas/nodes/re-attach-upcall';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2]);
});

const confirmedOn =
  (node: number, gen: number, secondaryOn?: number) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generation: gen,
    generationPageserver: node,
    observed: {
      [String(node)]: attachedConf(shardIdentity(s), s.config, gen),
      ...(secondaryOn ? { [String(secondaryOn)]: secondaryConf(shardIdentity(s), s.config) } : {}),
    },
  });

const registration = (id: number, port = 9000 + id) => ({
  id,
  listenHttpAddr: '10.0.0.9',
  listenHttpPort: port,
  listenPgAddr: '10.0.0.9',
  listenPgPort: 6400,
  availabilityZoneId: 'az-a',
});

describe('reAttachUpcall', () => {
  it('lists attached shards with their mode and an integer generation, and secondaries with mode Secondary and no generation', async () => {
    const {
      shards: [a],
    } = await seedTenant(w.tenants, {
      attached: [1],
      secondary: [[2]],
      shape: confirmedOn(1, 4, 2),
    });
    const {
      shards: [b],
    } = await seedTenant(w.tenants, {
      attached: [2],
      secondary: [[1]],
      shape: confirmedOn(2, 7, 1),
    });
    const answer = await reAttachUpcall(w.context, { nodeId: 1 });
    expect(answer).toEqual(
      [
        { id: formatTenantShardId(a!.id), gen: 5, mode: 'AttachedSingle', stripe_size: null },
        { id: formatTenantShardId(b!.id), gen: null, mode: 'Secondary', stripe_size: null },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    // The secondary's generation is untouched.
    expect((await w.tenants.getShard(b!.id))?.generation).toBe(7);
  });

  it("gives a sharded tenant's stripe size, attached or secondary", async () => {
    const { shards } = await seedTenant(w.tenants, {
      count: 2,
      attached: [1, 2],
      secondary: [[2], [1]],
      shape: (s) => confirmedOn(s.id.number === 0 ? 1 : 2, 3, s.id.number === 0 ? 2 : 1)(s),
    });
    const answer = await reAttachUpcall(w.context, { nodeId: 1 });
    expect(answer).toEqual([
      {
        id: formatTenantShardId(shards[0]!.id),
        gen: 4,
        mode: 'AttachedSingle',
        stripe_size: DEFAULT_STRIPE_SIZE,
      },
      {
        id: formatTenantShardId(shards[1]!.id),
        gen: null,
        mode: 'Secondary',
        stripe_size: DEFAULT_STRIPE_SIZE,
      },
    ]);
  });

  it('registers an unknown node from the request instead of answering 404', async () => {
    const answer = await reAttachUpcall(w.context, { nodeId: 5, register: registration(5) });
    expect(answer).toEqual([]);
    expect(await w.nodes.get(5)).toMatchObject({
      id: 5,
      availability: 'Active',
      listenHttpAddr: '10.0.0.9',
      listenHttpPort: 9005,
      availabilityZoneId: 'az-a',
    });
    // Again with the same addresses: idempotent.
    await reAttachUpcall(w.context, { nodeId: 5, register: registration(5) });
  });

  it('refuses a registration with other addresses (409) or for another node id (400), registering nothing', async () => {
    await reAttachUpcall(w.context, { nodeId: 5, register: registration(5) });
    await expect(
      reAttachUpcall(w.context, { nodeId: 5, register: registration(5, 1) }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(reAttachUpcall(w.context, { nodeId: 6, register: registration(7) })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    expect(await w.nodes.get(6)).toBeUndefined();
    expect(await w.nodes.get(7)).toBeUndefined();
  });
});
