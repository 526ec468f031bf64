// Heartbeat passes on in-memory ports: probes become availability, a transition is made (and
// acted on) by one pass only, failover promotes secondaries or reschedules, and a node nobody can
// replace keeps its attachments.
import { beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatSettings } from '../../lambdas/core/heartbeat';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { heartbeatPass } from '../../lambdas/nodes/heartbeat';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(() => {
  w = memoryWorld({ inlineReconcileMs: 2_000 });
});

const settings: HeartbeatSettings = { intervalSeconds: 5, maxOfflineSeconds: 30, maxWarmingUpSeconds: 300 };
const fast = { timeoutMs: 50, retries: 1 };
let clock = 1_700_000_000_000;
const now = () => clock;

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

const pass = () => heartbeatPass(w.context, { settings, probe: fast, owner: 'test', now });

describe('heartbeatPass', () => {
  it('probes every node and writes nothing more for healthy nodes once their utilization is known', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    await pass();
    const versions = (await w.nodes.list()).map((n) => n.version);
    expect((await w.nodes.list()).every((n) => n.utilization !== null)).toBe(true);
    const outcomes = await pass();
    expect(outcomes.map((o) => o.availability)).toEqual(['Active', 'Active', 'Active']);
    expect((await w.nodes.list()).map((n) => n.version)).toEqual(versions);
    expect(w.pageservers.calls.filter((c) => c.method === 'utilization')).toHaveLength(6);
  });

  it('takes a node Offline only after max-offline of failures, then fails its shards over', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    const promoted = await seed(1, [2]);
    const moved = await seed(1);
    w.pageservers.down.add(1);
    await pass();
    expect((await w.nodes.get(1))?.unresponsiveSince).toBe(clock);
    clock += 30_000;
    expect((await pass()).find((o) => o.node === 1)?.availability).toBe('Active');
    clock += 1;
    const outcomes = await pass();
    expect(outcomes.find((o) => o.node === 1)).toMatchObject({
      availability: 'Offline',
      transition: 'offline',
    });
    // The secondary is promoted, in a new generation; the other shard is attached elsewhere.
    const p = (await w.tenants.getShard(promoted.id))!;
    expect(p.intent.attached).toBe(2);
    expect(p.generation).toBeGreaterThan(4);
    expect(p.generationPageserver).toBe(2);
    const m = (await w.tenants.getShard(moved.id))!;
    expect([2, 3]).toContain(m.intent.attached);
    expect(m.generationPageserver).toBe(m.intent.attached);
  });

  it('keeps the attachment when no other node can take the shard (single-node guard)', async () => {
    await addNodes(w.nodes, [1]);
    const only = await seed(1);
    w.pageservers.down.add(1);
    await pass();
    clock += 31_000;
    await pass();
    expect((await w.nodes.get(1))?.availability).toBe('Offline');
    const s = (await w.tenants.getShard(only.id))!;
    expect(s.intent.attached).toBe(1);
    expect(s.generation).toBe(4);
  });

  it('lets two overlapping passes make (and act on) the Offline transition once', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    const shard = await seed(1);
    w.pageservers.down.add(1);
    await pass();
    clock += 31_000;
    const [a, b] = await Promise.all([pass(), pass()]);
    const transitions = [...a, ...b].filter((o) => o.node === 1 && o.transition === 'offline');
    expect(transitions).toHaveLength(1);
    // Attached elsewhere exactly once: one generation issued after the failover.
    const s = (await w.tenants.getShard(shard.id))!;
    expect(s.generation).toBe(5);
    const attaches = w.pageservers.calls.filter(
      (c) => c.method === 'putLocationConfig' && c.conf?.mode === 'AttachedSingle',
    );
    expect(attaches).toHaveLength(1);
  });

  it('gives a WarmingUp node its warm-up, activates it when it answers, and takes it Offline after', async () => {
    await addNodes(w.nodes, [1, 2]);
    const node = (await w.nodes.get(1))!;
    await w.nodes.update(1, node.version, { availability: 'WarmingUp', warmingUpSince: clock });
    w.pageservers.down.add(1);
    clock += 299_000;
    await pass();
    expect((await w.nodes.get(1))?.availability).toBe('WarmingUp');
    w.pageservers.down.delete(1);
    expect((await pass()).find((o) => o.node === 1)).toMatchObject({
      availability: 'Active',
      transition: 'activated',
    });
    const active = (await w.nodes.get(1))!;
    expect(active.warmingUpSince).toBeNull();
    expect(active.utilization?.shard_count).toBe(0);

    await w.nodes.update(1, active.version, { availability: 'WarmingUp', warmingUpSince: clock });
    w.pageservers.down.add(1);
    clock += 300_001;
    await pass();
    expect((await w.nodes.get(1))?.availability).toBe('Offline');
  });

  it('probes only the nodes asked for', async () => {
    await addNodes(w.nodes, [1, 2, 3]);
    const outcomes = await heartbeatPass(w.context, { nodeIds: [2], settings, probe: fast, owner: 't', now });
    expect(outcomes.map((o) => o.node)).toEqual([2]);
    expect(w.pageservers.calls.map((c) => c.node)).toEqual([2]);
  });
});
