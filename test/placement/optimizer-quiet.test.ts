// The optimizer's plan skips reading the fleet while nothing it weighs has changed since a full
// read that planned nothing (core/optimizer-quiet.ts), and reads it again on any change of a
// node's counts, while shards wait on other work, and at least every 10 minutes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../../lambdas/app/context';
import { attachedConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { FULL_READ_EVERY_MS, fleetFingerprint, stillSettled } from '../../lambdas/core/optimizer-quiet';
import { planOptimizationPass } from '../../lambdas/placement/optimize';
import { addNodes, memoryWorld, seedTenant } from '../support/memory';

/** Observed as intended: nothing for a reconcile to do. */
const settled = (shard: TenantShard): TenantShard => ({
  ...shard,
  generationPageserver: shard.intent.attached,
  observed: {
    [String(shard.intent.attached)]: attachedConf(shardIdentity(shard), shard.config, shard.generation),
  },
});

async function world() {
  const w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
  for (const node of [1, 2, 3]) await seedTenant(w.tenants, { attached: [node], shape: settled });
  const reads = vi.spyOn(w.tenants, 'listTenantsWithShards');
  return { w, reads };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the optimizer on a settled fleet', () => {
  it('reads the fleet once, then not again while nothing changes', async () => {
    const { w, reads } = await world();
    expect(await planOptimizationPass(w.context)).toEqual([]);
    const first = reads.mock.calls.length;
    expect(first).toBeGreaterThan(0);
    expect(await planOptimizationPass(w.context)).toEqual([]);
    expect(await planOptimizationPass(w.context)).toEqual([]);
    expect(reads.mock.calls.length).toBe(first);
  });

  it("reads again once a node's counts change, and plans what the change calls for", async () => {
    const { w, reads } = await world();
    await planOptimizationPass(w.context);
    const before = reads.mock.calls.length;
    // Three more on node 1: 4, 1, 1 is worth evening out.
    for (let i = 0; i < 3; i++) await seedTenant(w.tenants, { attached: [1], shape: settled });
    const steps = await planOptimizationPass(w.context);
    expect(reads.mock.calls.length).toBeGreaterThan(before);
    expect(steps.length).toBeGreaterThan(0);
    // A pass that planned something is no settled read: the next pass reads again.
    const after = reads.mock.calls.length;
    await planOptimizationPass(w.context);
    expect(reads.mock.calls.length).toBeGreaterThan(after);
  });

  it('reads again while a shard waits on a reconcile, though no count changed', async () => {
    const { w, reads } = await world();
    // Node 1's shard is not yet where its intent says: the optimizer leaves it this pass.
    await seedTenant(w.tenants, { attached: [1] });
    await planOptimizationPass(w.context);
    const before = reads.mock.calls.length;
    await planOptimizationPass(w.context);
    expect(reads.mock.calls.length).toBeGreaterThan(before);
  });

  it('reads a fleet too large for one pass over several, each going on where the last stopped', async () => {
    const { w, reads } = await world();
    for (let i = 0; i < 200; i++) await seedTenant(w.tenants, { attached: [(i % 3) + 1], shape: settled });
    // Each pass has time for one page of 100 tenants only.
    const hurried = () => withDeadline(w.context, Date.now() + 3_000);
    for (let pass = 0; pass < 3; pass++) expect(await planOptimizationPass(hurried())).toEqual([]);
    expect(reads.mock.calls.map(([, cursor]) => cursor === undefined)).toEqual([true, false, false]);
    // The third reached the end: the fleet is settled, and the next pass reads nothing.
    await planOptimizationPass(hurried());
    expect(reads.mock.calls).toHaveLength(3);
  });

  it('reads again after 10 minutes even when nothing changed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { w, reads } = await world();
    await planOptimizationPass(w.context);
    const before = reads.mock.calls.length;
    vi.setSystemTime(Date.now() + FULL_READ_EVERY_MS - 1_000);
    await planOptimizationPass(w.context);
    expect(reads.mock.calls.length).toBe(before);
    vi.setSystemTime(Date.now() + 2_000);
    await planOptimizationPass(w.context);
    expect(reads.mock.calls.length).toBeGreaterThan(before);
  });
});

describe('fleetFingerprint', () => {
  const node = { id: 1, maySchedule: true, attachedCount: 5, secondaryCount: 1, availabilityZoneId: 'a' };
  const homes = new Map([['a', 5]]);
  const base = fleetFingerprint([node, { ...node, id: 2 }], homes);

  it('is the same for the same figures in any order', () => {
    expect(fleetFingerprint([{ ...node, id: 2 }, node], new Map(homes))).toBe(base);
  });

  it.each([
    ['an attached count', { attachedCount: 6 }],
    ['a secondary count', { secondaryCount: 0 }],
    ['an AZ', { availabilityZoneId: 'b' }],
    ['whether it takes work', { maySchedule: false }],
    ['overload', { utilizationScore: 2 }],
  ])('changes with %s', (_what, change) => {
    expect(
      fleetFingerprint(
        [
          { ...node, ...change },
          { ...node, id: 2 },
        ],
        homes,
      ),
    ).not.toBe(base);
  });

  it('changes with how many shards call an AZ home', () => {
    expect(fleetFingerprint([node, { ...node, id: 2 }], new Map([['a', 4]]))).not.toBe(base);
  });

  it('is still settled only for the same fingerprint, within the period', () => {
    const last = { fingerprint: base, at: 1_000 };
    expect(stillSettled(last, base, 1_000 + FULL_READ_EVERY_MS - 1)).toBe(true);
    expect(stillSettled(last, base, 1_000 + FULL_READ_EVERY_MS)).toBe(false);
    expect(stillSettled(last, `${base}x`, 1_001)).toBe(false);
    expect(stillSettled(undefined, base, 1_001)).toBe(false);
  });
});
