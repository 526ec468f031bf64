// A node going Offline or coming back, on in-memory ports: what it holds becomes unknown, its
// attached shards move (a secondary that holds the data first) and are attached elsewhere in a
// newer generation; when it returns, what is unknown there is reconciled.
import { beforeEach, describe, expect, it } from 'vitest';
import { formatTenantShardId } from '../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { evacuateNode, nodeCameBack, nodeWentOffline } from '../../lambdas/nodes/node-availability';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(() => {
  w = memoryWorld({ inlineReconcileMs: 2_000 });
});

/** Attached on `node` in generation 4 (confirmed), with confirmed secondaries. */
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

async function seed(attached: number, secondary: number[] = []) {
  const { shards } = await seedTenant(w.tenants, {
    attached: [attached],
    secondary: [secondary],
    shape: confirmed(attached, secondary),
  });
  return shards[0]!;
}

async function setOffline(id: number) {
  const node = (await w.nodes.get(id))!;
  await w.nodes.update(id, node.version, { availability: 'Offline' });
}

describe('evacuateNode', () => {
  it('moves attached shards elsewhere and marks what the node held as unknown', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    const attached = await seed(1);
    const secondaryThere = await seed(2, [1]);
    await setOffline(1);
    const moved = await evacuateNode(w.context, 1);

    expect(moved.map(formatTenantShardId)).toEqual([formatTenantShardId(attached.id)]);
    const a = (await w.tenants.getShard(attached.id))!;
    expect(a.intent.attached).not.toBe(1);
    expect(a.intent.attached).not.toBeNull();
    expect(a.observed['1']).toBeNull();
    // The other shard keeps its placement; only its state on node 1 is now unknown.
    const b = (await w.tenants.getShard(secondaryThere.id))!;
    expect(b.intent).toEqual(secondaryThere.intent);
    expect(b.observed['1']).toBeNull();
    // Counters follow the intents.
    expect((await w.nodes.get(1))?.attachedCount).toBe(0);
  });

  it('promotes a secondary, which already has the data, before choosing a fresh node', async () => {
    await addNodes(w.nodes, [1, 2, 3, 4]);
    const shard = await seed(1, [3]);
    await setOffline(1);
    await evacuateNode(w.context, 1);
    expect((await w.tenants.getShard(shard.id))?.intent.attached).toBe(3);
  });

  it('keeps the attachment where it is when no other node can take it, and counts the failure', async () => {
    await addNodes(w.nodes, [1]);
    const shard = await seed(1);
    await setOffline(1);
    expect(await evacuateNode(w.context, 1)).toEqual([]);
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after.intent.attached).toBe(1);
    expect(after.observed['1']).toBeNull();
    expect(w.metrics.schedulingErrors.get()).toBe(1);
  });
});

describe('nodeWentOffline', () => {
  it('re-attaches the shards of a dead node elsewhere in a newer generation and tells the control plane', async () => {
    await addNodes(w.nodes, [1, 2]);
    const shard = await seed(1);
    await setOffline(1);
    w.pageservers.down.add(1);
    await nodeWentOffline(w.context, 1, 'offline-1');

    expect(w.workflows.executions).toEqual([]);
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after).toMatchObject({ generation: 5, generationPageserver: 2, intent: { attached: 2 } });
    expect(after.observed['2']).toEqual(attachedConf(shardIdentity(after), after.config, 5));
    expect(w.pageservers.held(2)[formatTenantShardId(shard.id)]).toMatchObject({ generation: 5 });
    expect(w.computeHook.delivered.at(-1)?.shards).toEqual([{ node_id: 2, shard_number: 0 }]);
  });

  it('moves the shards of a node that still answers by live migration', async () => {
    await addNodes(w.nodes, [1, 2]);
    const shard = await seed(1);
    await setOffline(1);
    await nodeWentOffline(w.context, 1, 'offline-2');
    expect(w.workflows.executions.map((e) => [e.workflow, e.input])).toEqual([
      ['migrate', expect.objectContaining({ shard: formatTenantShardId(shard.id), node_id: 2 })],
    ]);
  });
});

describe('pinned shards (scheduling Pause or Stop)', () => {
  for (const policy of ['Pause', 'Stop'] as const) {
    it(`keep their placement when their node goes Offline (${policy}), dead or alive`, async () => {
      await addNodes(w.nodes, [1, 2, 3]);
      const { shards } = await seedTenant(w.tenants, {
        attached: [1],
        secondary: [[3]],
        shape: (s) => ({ ...confirmed(1, [3])(s), schedulingPolicy: policy }),
      });
      const shard = shards[0]!;
      await setOffline(1);
      await nodeWentOffline(w.context, 1, `pinned-alive-${policy}`);
      expect(w.workflows.executions).toEqual([]);
      w.pageservers.down.add(1);
      await nodeWentOffline(w.context, 1, `pinned-dead-${policy}`);
      const after = (await w.tenants.getShard(shard.id))!;
      expect(after.intent).toEqual({ attached: 1, secondary: [3] });
      expect(after.generation).toBe(4);
      expect(after.observed['1']).toBeNull();
    });
  }
});

describe('nodeCameBack', () => {
  it('reconciles the shards whose state on the node is unknown, and only those', async () => {
    await addNodes(w.nodes, [1, 2]);
    const unknown = await seedTenant(w.tenants, {
      attached: [1],
      shape: (s) => ({ ...confirmed(1)(s), observed: { '1': null } }),
    });
    const known = await seed(1);
    await nodeCameBack(w.context, 1, 'back-1');

    const touched = new Set(w.pageservers.calls.map((c) => c.shard));
    expect(touched.has(formatTenantShardId(unknown.shards[0]!.id))).toBe(true);
    expect(touched.has(formatTenantShardId(known.id))).toBe(false);
    const after = (await w.tenants.getShard(unknown.shards[0]!.id))!;
    expect(after.observed['1']).toMatchObject({ mode: 'AttachedSingle', generation: after.generation });
    expect(after.generation).toBeGreaterThan(4);
  });
});
