// The split planner: which parents split, into which children, where; and every request it
// must refuse. Pure, so the properties run over many shapes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, NotFoundError } from '../../lambdas/core/errors';
import { formatTenantShardId, parseTenantShardId, shardCountOf, shardsOfCount } from '../../lambdas/core/ids';
import { newShard, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { planSplit } from '../../lambdas/core/split-plan';

const T = '1f359dd625e519a1a4e8d7509690f6fc';

function shardsAt(
  count: number,
  node: (n: number) => number | null = (n) => 10 + n,
  stripe = 8192,
): TenantShard[] {
  return shardsOfCount(T, count).map((id) => ({
    ...newShard({
      id,
      stripeSize: stripe,
      generation: 3,
      policy: { kind: 'Attached', secondaries: 0 },
      config: {},
      intent: { attached: node(id.number), secondary: [] },
    }),
    version: 1,
  }));
}

describe('planSplit', () => {
  it('splits an unsharded tenant into two children on its node', () => {
    expect(planSplit(shardsAt(0), 2)).toEqual({
      kind: 'split',
      oldCount: 0,
      targets: [{ parent: T, node: 10, children: [`${T}-0002`, `${T}-0102`] }],
      newShards: [`${T}-0002`, `${T}-0102`],
    });
  });

  it('gives each parent the children congruent to it, on the parent’s node', () => {
    const plan = planSplit(shardsAt(2), 8);
    expect(plan.kind).toBe('split');
    if (plan.kind !== 'split') return;
    expect(plan.targets).toEqual([
      { parent: `${T}-0002`, node: 10, children: [0, 2, 4, 6].map((n) => `${T}-0${n}08`) },
      { parent: `${T}-0102`, node: 11, children: [1, 3, 5, 7].map((n) => `${T}-0${n}08`) },
    ]);
  });

  it('answers done with the children when the tenant is already at the count', () => {
    expect(planSplit(shardsAt(4), 4)).toEqual({
      kind: 'done',
      newShards: [0, 1, 2, 3].map((n) => `${T}-0${n}04`),
    });
  });

  it('refuses counts out of range, not a power-of-two multiple, or lower than now', () => {
    for (const count of [1, 0, 256, 2.5])
      expect(() => planSplit(shardsAt(0), count)).toThrow(BadRequestError);
    expect(() => planSplit(shardsAt(2), 6)).toThrow(/times a power of two/);
    expect(() => planSplit(shardsAt(4), 2)).toThrow(/already have shards at count 4/);
  });

  it('refuses a tenant with no shards, or whose parents are not attached', () => {
    expect(() => planSplit([], 2)).toThrow(NotFoundError);
    expect(() =>
      planSplit(
        shardsAt(2, () => null),
        4,
      ),
    ).toThrow(/not attached/);
  });

  it('refuses while a split is under way', () => {
    // Children of the target count exist beside the parents: a split began.
    const begun = [...shardsAt(0), ...shardsAt(2)];
    expect(() => planSplit(begun, 2)).toThrow(ConflictError);
    const flagged = shardsAt(2).map((s) => ({ ...s, splitting: true }));
    expect(() => planSplit(flagged, 4)).toThrow(/already splitting/);
    // Parents at two different counts (an earlier split half done) cannot split again.
    const mixed = [...shardsAt(2).slice(0, 1), ...shardsAt(4).slice(1)];
    expect(() => planSplit(mixed, 8)).toThrow(/mid-split/);
  });

  it('changes the stripe size only of a tenant with one shard', () => {
    expect(planSplit(shardsAt(0), 4, 1024).kind).toBe('split');
    expect(planSplit(shardsAt(2), 4, 8192).kind).toBe('split');
    expect(() => planSplit(shardsAt(2), 4, 1024)).toThrow(/stripe size/);
  });

  it('covers every child number exactly once, each from the parent it is congruent to', () => {
    const counts = fc.constantFrom(0, 1, 2, 4, 8, 16, 32);
    fc.assert(
      fc.property(counts, fc.integer({ min: 1, max: 3 }), (old, power) => {
        const newCount = shardCountOf(old) * 2 ** power;
        fc.pre(newCount <= 255);
        const plan = planSplit(shardsAt(old), newCount);
        if (plan.kind !== 'split') throw new Error('expected a split');
        const numbers = plan.newShards.map((c) => parseTenantShardId(c).number).sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: newCount }, (_, i) => i));
        for (const target of plan.targets) {
          const parent = parseTenantShardId(target.parent);
          expect(target.node).toBe(10 + parent.number);
          for (const child of target.children.map(parseTenantShardId)) {
            expect(child.count).toBe(newCount);
            expect(child.number % shardCountOf(old)).toBe(parent.number);
          }
        }
        // A repeat on the finished state reports the same shards.
        const after = shardsAt(newCount);
        const done = planSplit(after, newCount);
        expect(done.kind === 'done' && [...done.newShards].sort()).toEqual([...plan.newShards].sort());
        expect(after.map((s) => formatTenantShardId(s.id)).sort()).toEqual([...plan.newShards].sort());
      }),
    );
  });
});
