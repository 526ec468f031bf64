// Heartbeat decisions: what one probe means for a node's availability.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anotherBeatFits,
  decideHeartbeat,
  type HeartbeatSettings,
  type Probe,
  UTILIZATION_REFRESH_MS,
  utilizationChanged,
} from '../../lambdas/core/heartbeat';
import type { NodeUtilization, PageserverNode } from '../../lambdas/core/model/node';

const settings: HeartbeatSettings = { intervalSeconds: 5, maxOfflineSeconds: 30, maxWarmingUpSeconds: 300 };
const T0 = 1_700_000_000_000;

function utilization(shards: number, at = T0): NodeUtilization {
  return {
    disk_usage_bytes: shards * 1_000_000,
    free_space_bytes: 1e12,
    utilization_score: shards,
    captured_at: new Date(at).toISOString(),
    shard_count: shards,
  };
}

type NodeState = Pick<
  PageserverNode,
  'availability' | 'warmingUpSince' | 'unresponsiveSince' | 'utilization'
>;
const active: NodeState = {
  availability: 'Active',
  warmingUpSince: null,
  unresponsiveSince: null,
  utilization: utilization(3),
};
const ok = (shards = 3, at = T0): Probe => ({ ok: true, utilization: utilization(shards, at) });
const fail: Probe = { ok: false, error: 'connection refused' };

describe('decideHeartbeat', () => {
  it('writes nothing for a healthy node whose utilization has not moved', () => {
    expect(decideHeartbeat(active, ok(3, T0 + 5_000), T0 + 5_000, settings)).toEqual({ kind: 'none' });
  });

  it('records a changed utilization without a transition', () => {
    expect(decideHeartbeat(active, ok(4), T0, settings)).toEqual({
      kind: 'record',
      changes: { utilization: utilization(4) },
    });
  });

  it('notes the first failure, tolerates failures up to max-offline, then goes Offline', () => {
    expect(decideHeartbeat(active, fail, T0, settings)).toEqual({
      kind: 'record',
      changes: { unresponsiveSince: T0 },
    });
    const failing = { ...active, unresponsiveSince: T0 };
    expect(decideHeartbeat(failing, fail, T0 + 30_000, settings)).toEqual({ kind: 'none' });
    expect(decideHeartbeat(failing, fail, T0 + 30_001, settings)).toEqual({
      kind: 'offline',
      changes: { availability: 'Offline' },
    });
  });

  it('clears the failure when a failing node answers again', () => {
    const failing = { ...active, unresponsiveSince: T0 };
    expect(decideHeartbeat(failing, ok(3, T0 + 10_000), T0 + 10_000, settings)).toEqual({
      kind: 'record',
      changes: { unresponsiveSince: null },
    });
  });

  it('gives a warming-up node max-warming-up before failures count, then Offline', () => {
    const warming: NodeState = { ...active, availability: 'WarmingUp', warmingUpSince: T0 };
    expect(decideHeartbeat(warming, fail, T0 + 299_000, settings)).toEqual({ kind: 'none' });
    expect(decideHeartbeat(warming, fail, T0 + 300_001, settings).kind).toBe('offline');
  });

  it('activates a warming-up or Offline node that answers, with its utilization', () => {
    for (const availability of ['WarmingUp', 'Offline'] as const) {
      const node: NodeState = { ...active, availability, warmingUpSince: T0, unresponsiveSince: T0 };
      expect(decideHeartbeat(node, ok(7), T0 + 1_000, settings)).toEqual({
        kind: 'activate',
        changes: {
          availability: 'Active',
          warmingUpSince: null,
          unresponsiveSince: null,
          utilization: utilization(7),
        },
      });
    }
  });

  it('leaves an Offline node that still fails alone', () => {
    expect(decideHeartbeat({ ...active, availability: 'Offline' }, fail, T0, settings)).toEqual({
      kind: 'none',
    });
  });

  it('never takes an Active node Offline before it failed for longer than max-offline (any schedule)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ok: fc.boolean(), gapMs: fc.integer({ min: 1, max: 20_000 }) }), {
          maxLength: 60,
        }),
        (beats) => {
          let node: NodeState = active;
          let now = T0;
          let failingSince: number | null = null;
          for (const beat of beats) {
            now += beat.gapMs;
            const decision = decideHeartbeat(node, beat.ok ? ok(3, now) : fail, now, settings);
            if (beat.ok) failingSince = null;
            else failingSince ??= now;
            if (decision.kind === 'offline') {
              expect(node.availability).toBe('Active');
              expect(now - failingSince!).toBeGreaterThan(settings.maxOfflineSeconds * 1000);
            }
            if (beat.ok) expect(['none', 'record']).toContain(decision.kind);
            if (decision.kind !== 'none') node = { ...node, ...decision.changes } as NodeState;
            if (node.availability === 'Offline') break;
          }
        },
      ),
    );
  });
});

describe('utilizationChanged', () => {
  it('is true for the first, a new shard count, 1 % of disk moved, or an old one', () => {
    expect(utilizationChanged(null, utilization(1), T0)).toBe(true);
    expect(utilizationChanged(utilization(1), utilization(2), T0)).toBe(true);
    expect(utilizationChanged(utilization(1), utilization(1), T0 + 1000)).toBe(false);
    const grown = { ...utilization(1), disk_usage_bytes: 2e10 };
    expect(utilizationChanged(utilization(1), grown, T0)).toBe(true);
    expect(utilizationChanged(utilization(1), utilization(1), T0 + UTILIZATION_REFRESH_MS)).toBe(true);
  });
});

describe('anotherBeatFits', () => {
  it('beats again only while the next beat starts within the window', () => {
    expect(anotherBeatFits(T0, T0 + 49_000, 55, 5)).toBe(true);
    expect(anotherBeatFits(T0, T0 + 50_000, 55, 5)).toBe(false);
    expect(anotherBeatFits(T0, T0, 0, 5)).toBe(false);
  });
});
