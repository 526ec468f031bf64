// Heartbeats: what one probe of a pageserver's `GET /v1/utilization` means for its node. Pure: the
// caller probes, asks here, and writes the answer conditioned on the node's version, so that two
// overlapping passes can never both act on one transition (the loser re-reads and finds nothing
// left to do).
//
// Writes are kept to state changes: a healthy node costs no write at all, except a utilization
// refresh when it moved or has grown old. "Silent for longer than max-offline" is measured from the
// first failed probe (`unresponsiveSince`), so a gap between passes never counts as silence.
import type { NodeUtilization, PageserverNode } from './model/node';
import type { NodeChanges } from './ports';

export interface HeartbeatSettings {
  /** Seconds between passes. */
  intervalSeconds: number;
  /** A node failing heartbeats for longer than this goes Offline. */
  maxOfflineSeconds: number;
  /** After a re-attach, failures count only once the node has been warming up this long. */
  maxWarmingUpSeconds: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatSettings = {
  intervalSeconds: 5,
  maxOfflineSeconds: 30,
  maxWarmingUpSeconds: 300,
};

/** Per probe: 1 s per attempt, 3 retries (the reference's figures). */
export const PROBE_TIMEOUT_MS = 1_000;
export const PROBE_RETRIES = 3;

/** A stored utilization older than this is refreshed even if nothing moved. */
export const UTILIZATION_REFRESH_MS = 5 * 60_000;

export type Probe = { ok: true; utilization: NodeUtilization } | { ok: false; error: string };

export type HeartbeatDecision =
  /** Nothing to write. */
  | { kind: 'none' }
  /** A write that changes no availability (failure noted or cleared, utilization refreshed). */
  | { kind: 'record'; changes: NodeChanges }
  /** WarmingUp or Offline → Active. */
  | { kind: 'activate'; changes: NodeChanges }
  /** Active or WarmingUp → Offline: its shards fail over. */
  | { kind: 'offline'; changes: NodeChanges };

/** Worth a write: the first one, a different shard count, disk use moved by 1 % or more, or old. */
export function utilizationChanged(
  before: NodeUtilization | null,
  after: NodeUtilization,
  now: number,
): boolean {
  if (!before) return true;
  if ((before.shard_count ?? null) !== (after.shard_count ?? null)) return true;
  const total = Math.max(1, after.disk_usage_bytes + after.free_space_bytes);
  if (Math.abs(after.disk_usage_bytes - before.disk_usage_bytes) / total >= 0.01) return true;
  const captured = Date.parse(before.captured_at);
  return !Number.isFinite(captured) || now - captured >= UTILIZATION_REFRESH_MS;
}

export function decideHeartbeat(
  node: Pick<PageserverNode, 'availability' | 'warmingUpSince' | 'unresponsiveSince' | 'utilization'>,
  probe: Probe,
  now: number,
  settings: HeartbeatSettings,
): HeartbeatDecision {
  if (probe.ok) {
    if (node.availability !== 'Active') {
      return {
        kind: 'activate',
        changes: {
          availability: 'Active',
          warmingUpSince: null,
          unresponsiveSince: null,
          utilization: probe.utilization,
        },
      };
    }
    const changes: NodeChanges = {};
    if (node.unresponsiveSince !== null) changes.unresponsiveSince = null;
    if (utilizationChanged(node.utilization, probe.utilization, now)) changes.utilization = probe.utilization;
    return Object.keys(changes).length > 0 ? { kind: 'record', changes } : { kind: 'none' };
  }
  switch (node.availability) {
    case 'Offline':
      return { kind: 'none' };
    case 'WarmingUp': {
      // A pageserver answers no HTTP until it has loaded its re-attach answer: failures are
      // expected for a while. Without a start time (an older item) the warm-up counts from now.
      const since = node.warmingUpSince ?? now;
      if (now - since <= settings.maxWarmingUpSeconds * 1000) {
        return node.warmingUpSince === null
          ? { kind: 'record', changes: { warmingUpSince: now } }
          : { kind: 'none' };
      }
      return {
        kind: 'offline',
        changes: { availability: 'Offline', warmingUpSince: null, unresponsiveSince: now },
      };
    }
    case 'Active': {
      if (node.unresponsiveSince === null) return { kind: 'record', changes: { unresponsiveSince: now } };
      if (now - node.unresponsiveSince <= settings.maxOfflineSeconds * 1000) return { kind: 'none' };
      return { kind: 'offline', changes: { availability: 'Offline' } };
    }
  }
}

/**
 * Whether another beat fits in this execution's window (on AWS one execution runs the beats of one
 * schedule period): the next would start after `intervalSeconds` and must end within the window.
 */
export function anotherBeatFits(
  startedAt: number,
  now: number,
  windowSeconds: number,
  intervalSeconds: number,
): boolean {
  return now + intervalSeconds * 1000 < startedAt + windowSeconds * 1000;
}
