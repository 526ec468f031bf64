// Immediate node deletion on in-memory ports: every shard that refers to the node is rescheduled
// without it, and the node goes only once no intent names it.
import { beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../lambdas/core/errors';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { countsFromIntents } from '../../lambdas/core/scheduler';
import { deleteNode } from '../../lambdas/nodes/delete-node';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(() => {
  w = memoryWorld({ inlineReconcileMs: 2_000 });
});

const confirmed =
  (node: number, secondaries: number[] = []) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generation: 4,
    generationPageserver: node,
    observed: {
      [String(node)]: attachedConf(shardIdentity(s), s.config, 4),
      ...Object.fromEntries(secondaries.map((n) => [String(n), secondaryConf(shardIdentity(s), s.config)])),
    },
  });

async function seed(attached: number, secondary: number[] = [], pinned = false) {
  const { shards } = await seedTenant(w.tenants, {
    attached: [attached],
    secondary: [secondary],
    shape: (s) => ({
      ...confirmed(attached, secondary)(s),
      ...(pinned ? { schedulingPolicy: 'Pause' } : {}),
    }),
  });
  return shards[0]!;
}

async function allShards(ids: TenantShard[]) {
  return Promise.all(ids.map(async (s) => (await w.tenants.getShard(s.id))!));
}

describe('deleteNode', () => {
  it('answers 404 for a node that is not registered', async () => {
    await expect(deleteNode(w.context, 9, 't')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reschedules every shard that refers to the node, pinned ones too, and removes it', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    const seeded = [
      await seed(1, [2]), // its secondary is promoted
      await seed(1), // attached elsewhere
      await seed(2, [1]), // its secondary replaced
      await seed(1, [], true), // pinned (Pause): moved all the same
      await seed(3), // untouched
    ];
    await deleteNode(w.context, 1, 't');

    expect(await w.nodes.get(1)).toBeUndefined();
    expect(await w.tenants.nodeMemberships(1)).toEqual([]);
    const after = await allShards(seeded);
    for (const s of after) {
      expect(s.intent.attached).not.toBe(1);
      expect(s.intent.secondary).not.toContain(1);
      expect(Object.keys(s.observed)).not.toContain('1');
      expect(s.intent.attached).not.toBeNull();
    }
    expect(after[0]!.intent).toEqual({ attached: 2, secondary: [3] });
    expect(after[2]!.intent).toEqual({ attached: 2, secondary: [3] });
    expect(after[4]!.intent).toEqual(seeded[4]!.intent);
    // The moved shards were attached in newer generations within the call's budget.
    expect(after[0]!.generation).toBeGreaterThan(4);
    // Counters still match the intents.
    const counts = countsFromIntents(after.map((s) => s.intent));
    for (const node of await w.nodes.list()) {
      expect(node.attachedCount).toBe(counts.get(node.id)?.attached ?? 0);
      expect(node.secondaryCount).toBe(counts.get(node.id)?.secondary ?? 0);
    }
  });

  it('drops the reference when no other node can take the shard', async () => {
    await addNodes(w.nodes, [1]);
    const only = await seed(1);
    await deleteNode(w.context, 1, 't');
    expect(await w.nodes.list()).toEqual([]);
    expect((await w.tenants.getShard(only.id))!.intent).toEqual({ attached: null, secondary: [] });
  });

  it('runs the pass again when a placement on the node raced it', async () => {
    await addNodes(w.nodes, [1, 2]);
    await seed(1);
    const real = w.nodes.deleteIfUnreferenced.bind(w.nodes);
    let raced: TenantShard | undefined;
    w.nodes.deleteIfUnreferenced = async (id, version) => {
      // A placement that read the node before it was paused lands now, between pass and delete.
      raced ??= await seed(1);
      return real(id, version);
    };
    await deleteNode(w.context, 1, 't');
    expect(await w.nodes.get(1)).toBeUndefined();
    expect((await w.tenants.getShard(raced!.id))!.intent.attached).toBe(2);
  });
});
