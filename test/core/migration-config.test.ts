// The modern migrate request's options, durations as the reference writes them, the migrate
// workflow's polling bound, and where migrate_secondary may move a secondary. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STEP_FUNCTIONS } from '../../lambdas/core/aws-limits';
import { parseHumanDuration } from '../../lambdas/core/duration';
import {
  DEFAULT_DOWNLOAD_REQUEST_MS,
  DEFAULT_WARMUP_MS,
  originMismatch,
  resolveMigrationOptions,
  worstCasePollEvents,
} from '../../lambdas/core/migration-config';
import type { PlacementPolicy } from '../../lambdas/core/model/placement-policy';
import { planSecondaryMove } from '../../lambdas/core/secondary-move';

describe('parseHumanDuration', () => {
  it('reads the reference duration forms', () => {
    expect(parseHumanDuration('0s')).toBe(0);
    expect(parseHumanDuration('300s')).toBe(300_000);
    expect(parseHumanDuration('5m')).toBe(300_000);
    expect(parseHumanDuration('1m 30s')).toBe(90_000);
    expect(parseHumanDuration('1m30s')).toBe(90_000);
    expect(parseHumanDuration('250ms')).toBe(250);
    expect(parseHumanDuration('2h')).toBe(7_200_000);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', '5', 's', '5 parsecs', '-1s', '1.5s', 'soon'])
      expect(parseHumanDuration(text), text).toBeNull();
  });

  it('adds up its parts', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(59), fc.nat(999), (m, s, ms) => {
        expect(parseHumanDuration(`${m}m ${s}s ${ms}ms`)).toBe(m * 60_000 + s * 1000 + ms);
      }),
    );
  });
});

describe('resolveMigrationOptions', () => {
  it('cuts over at once without migration_config; with one, prewarm defaults to true', () => {
    expect(resolveMigrationOptions(undefined)).toEqual({
      prewarm: false,
      overrideScheduler: false,
      warmupMs: DEFAULT_WARMUP_MS,
      downloadRequestMs: DEFAULT_DOWNLOAD_REQUEST_MS,
    });
    expect(resolveMigrationOptions({})).toMatchObject({ prewarm: true });
    expect(resolveMigrationOptions({ prewarm: false, override_scheduler: true })).toMatchObject({
      prewarm: false,
      overrideScheduler: true,
    });
  });

  it('refuses timeouts the workflow could not honour', () => {
    expect(resolveMigrationOptions({ secondary_warmup_timeout: 600_001 })).toEqual({
      problem: "migration_config.secondary_warmup_timeout: at most 600s (the migration's time limit)",
    });
    expect(resolveMigrationOptions({ secondary_download_request_timeout: 600_001 })).toHaveProperty(
      'problem',
    );
    expect(resolveMigrationOptions({ secondary_download_request_timeout: 20_000 })).toMatchObject({
      downloadRequestMs: 20_000,
    });
    expect(resolveMigrationOptions({ secondary_warmup_timeout: 600_000 })).toMatchObject({
      warmupMs: 600_000,
    });
  });

  it("keeps the migrate workflow's polling loops far inside Step Functions' history limit", () => {
    expect(worstCasePollEvents()).toBeLessThan(STEP_FUNCTIONS.executionHistoryEvents / 2);
  });
});

describe('originMismatch', () => {
  it('lets a migration go ahead only from where it expected the shard', () => {
    expect(originMismatch('t', undefined, 1)).toBeNull();
    expect(originMismatch('t', 1, 1)).toBeNull();
    expect(originMismatch('t', 2, 1)).toBe(
      'Migration expected to originate from node 2, but shard t is attached to node 1',
    );
    expect(originMismatch('t', 2, null)).toContain('attached to no node');
  });
});

describe('planSecondaryMove', () => {
  const attached = (n: number): PlacementPolicy => ({ kind: 'Attached', secondaries: n });

  it('replaces the first secondary, keeps the others, and does nothing when already there', () => {
    expect(
      planSecondaryMove({ policy: attached(1), intent: { attached: 1, secondary: [2] } }, 3, 't'),
    ).toEqual({
      kind: 'move',
      intent: { attached: 1, secondary: [3] },
    });
    expect(
      planSecondaryMove({ policy: attached(2), intent: { attached: 1, secondary: [2, 4] } }, 3, 't'),
    ).toEqual({ kind: 'move', intent: { attached: 1, secondary: [3, 4] } });
    expect(
      planSecondaryMove({ policy: attached(2), intent: { attached: 1, secondary: [2, 4] } }, 4, 't'),
    ).toEqual({
      kind: 'unchanged',
    });
    expect(
      planSecondaryMove(
        { policy: { kind: 'Secondary' }, intent: { attached: null, secondary: [2] } },
        3,
        't',
      ),
    ).toEqual({ kind: 'move', intent: { attached: null, secondary: [3] } });
    // A policy that wants one, with none placed yet (no node was free): it goes there.
    expect(
      planSecondaryMove({ policy: attached(1), intent: { attached: 1, secondary: [] } }, 3, 't'),
    ).toEqual({
      kind: 'move',
      intent: { attached: 1, secondary: [3] },
    });
  });

  it('refuses the attached node and policies without a secondary', () => {
    for (const [policy, node] of [
      [attached(1), 1],
      [attached(0), 3],
      [{ kind: 'Detached' }, 3],
    ] as Array<[PlacementPolicy, number]>) {
      expect(planSecondaryMove({ policy, intent: { attached: 1, secondary: [2] } }, node, 't').kind).toBe(
        'refused',
      );
    }
  });
});
