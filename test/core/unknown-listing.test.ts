import { describe, expect, it } from 'vitest';
import { FULL_LISTING_EVERY_MS, mustList } from '../../lambdas/core/unknown-listing';

const reporting = (shardCount: number | undefined, unresponsiveSince: number | null = null) => ({
  attachedCount: 3,
  secondaryCount: 1,
  unresponsiveSince,
  utilization:
    shardCount === undefined
      ? null
      : {
          disk_usage_bytes: 0,
          free_space_bytes: 1,
          utilization_score: 0,
          captured_at: '2026-12-01T00:00:00Z',
          shard_count: shardCount,
        },
});

describe('mustList (reconcile-all looking for locations the controller does not know)', () => {
  const now = 1_000_000;
  it('lists a node never listed, and every node once a full sweep is due', () => {
    expect(mustList(reporting(4), undefined, now)).toBe(true);
    expect(mustList(reporting(4), now - FULL_LISTING_EVERY_MS, now)).toBe(true);
  });

  it('skips a node whose heartbeat reports exactly the locations intended there, between sweeps', () => {
    expect(mustList(reporting(4), now - 1_000, now)).toBe(false);
  });

  it('lists a node reporting more (an unknown location) or fewer, or nothing, or whose heartbeat failed', () => {
    expect(mustList(reporting(5), now - 1_000, now)).toBe(true);
    expect(mustList(reporting(3), now - 1_000, now)).toBe(true);
    expect(mustList(reporting(undefined), now - 1_000, now)).toBe(true);
    expect(mustList(reporting(4, now - 2_000), now - 1_000, now)).toBe(true);
  });
});
