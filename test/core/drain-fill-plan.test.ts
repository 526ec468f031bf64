// Drain and fill decisions: destinations, pinned shards, lag, the fill target, the per-tenant cap,
// the balance rule and stall detection.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  drainable,
  drainDestination,
  FIRST_ROUND,
  fillable,
  fillTarget,
  isBalanced,
  lagTooHigh,
  nextRound,
  tenantCap,
} from '../../lambdas/core/drain-fill-plan';
import { parseTenantShardId } from '../../lambdas/core/ids';
import type { PageserverNode } from '../../lambdas/core/model/node';
import { newShard, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { Scheduler, type SchedulerNode } from '../../lambdas/core/scheduler';

const shard = (attached: number | null, secondary: number[] = [], fields: Partial<TenantShard> = {}) => ({
  ...newShard({
    id: parseTenantShardId('1f359dd625e519a1a4e8d7509690f6fc'),
    stripeSize: 128,
    generation: 1,
    policy: { kind: 'Attached', secondaries: secondary.length },
    config: {},
    intent: { attached, secondary },
  }),
  ...fields,
});
const sched = (id: number, load = 0, maySchedule = true): SchedulerNode => ({
  id,
  maySchedule,
  attachedCount: load,
  secondaryCount: 0,
  availabilityZoneId: null,
});
const pnode = (id: number, attachedCount: number, scheduling: PageserverNode['scheduling'] = 'Active') =>
  ({ id, availability: 'Active', scheduling, attachedCount, secondaryCount: 0 }) as PageserverNode;

describe('drain', () => {
  it('moves Active and Essential shards attached to the node, not pinned, splitting or elsewhere ones (D5)', () => {
    expect(drainable(shard(1), 1)).toBe(true);
    expect(drainable(shard(1, [], { schedulingPolicy: 'Essential' }), 1)).toBe(true);
    expect(drainable(shard(1, [], { schedulingPolicy: 'Pause' }), 1)).toBe(false);
    expect(drainable(shard(1, [], { schedulingPolicy: 'Stop' }), 1)).toBe(false);
    expect(drainable(shard(1, [], { splitting: true }), 1)).toBe(false);
    expect(drainable(shard(2), 1)).toBe(false);
    expect(drainable(shard(1, [], { policy: { kind: 'Secondary' } }), 1)).toBe(false);
  });

  it('promotes a schedulable secondary, else places on the least-loaded node; never the drained one', () => {
    const scheduler = new Scheduler([sched(1, 0, false), sched(2, 5), sched(3, 1)]);
    expect(drainDestination(shard(1, [2]), 1, scheduler)).toEqual({ node: 2, promotesSecondary: true });
    expect(drainDestination(shard(1), 1, scheduler)).toEqual({ node: 3, promotesSecondary: false });
    const paused = new Scheduler([sched(1, 0, false), sched(2, 0, false)]);
    expect(drainDestination(shard(1, [2]), 1, paused)).toBeNull();
  });

  it('spreads one round over the nodes (the scheduler counts each choice)', () => {
    const scheduler = new Scheduler([sched(1, 0, false), sched(2), sched(3)]);
    const picks = Array.from({ length: 10 }, () => drainDestination(shard(1), 1, scheduler)!.node);
    expect(picks.filter((n) => n === 2)).toHaveLength(5);
  });

  it('skips a secondary lagging more than the limit, or whose lag is unknown (D4)', () => {
    expect(lagTooHigh(0, 100)).toBe(false);
    expect(lagTooHigh(100, 100)).toBe(false);
    expect(lagTooHigh(101, 100)).toBe(true);
    expect(lagTooHigh(null, 100)).toBe(true);
  });
});

describe('fill', () => {
  it('aims at the mean attached count over schedulable nodes, rounded down', () => {
    expect(fillTarget([pnode(1, 0, 'Filling'), pnode(2, 50), pnode(3, 50)])).toBe(33);
    expect(fillTarget([pnode(1, 0, 'Filling'), pnode(2, 50), pnode(3, 50, 'PauseForRestart')])).toBe(50);
  });

  it('moves only Active shards attached elsewhere (D5)', () => {
    expect(fillable(shard(2), 1)).toBe(true);
    expect(fillable(shard(1), 1)).toBe(false);
    expect(fillable(shard(2, [], { schedulingPolicy: 'Essential' }), 1)).toBe(false);
    expect(fillable(shard(null), 1)).toBe(false);
  });

  it('caps one tenant at about shard_count / nodes, at least one', () => {
    expect(tenantCap(8, 3)).toBe(3);
    expect(tenantCap(0, 3)).toBe(1);
    expect(tenantCap(8, 2)).toBe(4);
  });
});

describe('isBalanced', () => {
  it('allows a spread of max(2, 5 % of the total)', () => {
    expect(isBalanced([33, 33, 34])).toBe(true);
    expect(isBalanced([0, 1, 2])).toBe(true);
    expect(isBalanced([0, 1, 3])).toBe(false);
    expect(isBalanced([300, 330, 370])).toBe(false);
    expect(isBalanced([320, 330, 350])).toBe(true);
  });

  it('holds for any count spread evenly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 12 }), (total, nodes) => {
        const counts = Array.from(
          { length: nodes },
          (_, i) => Math.floor(total / nodes) + (i < total % nodes ? 1 : 0),
        );
        expect(isBalanced(counts)).toBe(true);
      }),
    );
  });
});

describe('nextRound', () => {
  it('counts rounds that did not move the count the wanted way', () => {
    let p = nextRound(FIRST_ROUND, 10, 'down');
    expect(p).toMatchObject({ round: 1, stalledRounds: 0, lastAttached: 10 });
    p = nextRound(p, 10, 'down');
    p = nextRound(p, 11, 'down');
    expect(p.stalledRounds).toBe(2);
    p = nextRound(p, 5, 'down');
    expect(p.stalledRounds).toBe(0);
    expect(nextRound(nextRound(FIRST_ROUND, 5, 'up'), 4, 'up').stalledRounds).toBe(1);
  });
});
