// A reconcile-all pass that found nothing dirty runs the optimizer, whose plan reads the whole
// fleet (about 20 calls per 1 000 shards: 2.6 s at 9 600 shards on the local stack). On a fleet
// whose last full read planned nothing and left nothing waiting, what the optimizer weighs (AZ
// match, a tenant's shards per node, node counts and readiness) can change only with a change to
// some node's counts, AZ, readiness or load, or to how many shards call each AZ home: those are
// read anyway, so a pass compares them with what the settled read saw and skips the fleet read
// when they match. Changes that leave every count as it was (two shards swapping nodes) are
// caught by a full read at least every FULL_READ_EVERY_MS. A fleet too large to read within one
// task is read over several quiet passes, each going on where the last stopped.
import { isOverloaded, type SchedulerNode } from './scheduler';

export const FULL_READ_EVERY_MS = 10 * 60_000;

/** What a full read that planned nothing saw, and when it began. */
export interface SettledFleet {
  fingerprint: string;
  at: number;
}

/**
 * How far quiet passes have read: the whole fleet, settled; or part of it (a fleet too large for
 * one task's time), planning nothing so far, to be read on from `cursor` while nothing changes.
 */
export type QuietReading =
  | ({ kind: 'settled' } & SettledFleet)
  | ({ kind: 'partial'; cursor: string } & SettledFleet)
  | { kind: 'none' };

/**
 * After a pass: `settled` is the planner's verdict on what it read, `at` when the reading began
 * (this pass, or the one it read on from), `cursor` where it stopped (undefined: the end).
 */
export function nextReading(
  settled: boolean,
  fingerprint: string,
  at: number,
  cursor: string | undefined,
): QuietReading {
  if (!settled) return { kind: 'none' };
  return cursor === undefined
    ? { kind: 'settled', fingerprint, at }
    : { kind: 'partial', cursor, fingerprint, at };
}

/** The figures a settled fleet's plan depends on, as one comparable string. */
export function fleetFingerprint(
  nodes: readonly SchedulerNode[],
  homeShardsByAz: ReadonlyMap<string, number>,
): string {
  const nodeFigures = [...nodes]
    .sort((a, b) => a.id - b.id)
    .map((n) => [
      n.id,
      n.attachedCount,
      n.secondaryCount,
      n.availabilityZoneId,
      n.maySchedule,
      isOverloaded(n),
    ]);
  const homes = [...homeShardsByAz].filter(([, count]) => count !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([nodeFigures, homes]);
}

/** Whether the fleet read may be skipped: settled when last read, nothing changed since, not too long ago. */
export function stillSettled(last: SettledFleet | undefined, fingerprint: string, now: number): boolean {
  return last !== undefined && last.fingerprint === fingerprint && now - last.at < FULL_READ_EVERY_MS;
}
