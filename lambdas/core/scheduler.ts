// The scheduler: where each shard's attached and secondary locations should be. Pure: it works
// on a snapshot of node loads and tracks the changes it makes, so several shards scheduled in a
// row spread out. Each pick ranks the candidate nodes by a tuple (later-features.md B2): for an
// attachment AZ match, the tenant's own shards already there (soft anti-affinity), utilization,
// attached count; for a secondary the AZ preference is reversed (not the home AZ). Overloaded
// nodes are passed over while any alternative exists. One pass over the nodes per pick.
import type { PageserverNode } from './model/node';
import { maySchedule } from './model/node';
import { isPinned, type PlacementPolicy, type ShardSchedulingPolicy } from './model/placement-policy';
import type { Intent } from './model/tenant-shard';

export interface SchedulerNode {
  id: number;
  maySchedule: boolean;
  attachedCount: number;
  secondaryCount: number;
  availabilityZoneId: string | null;
  /**
   * How full the node said it is at its last heartbeat, 1.0 being full (the larger of disk wanted
   * over capacity and shards over max shards); null or absent when not known.
   */
  utilizationScore?: number | null;
}

export function schedulerNode(node: PageserverNode): SchedulerNode {
  return {
    id: node.id,
    maySchedule: maySchedule(node),
    attachedCount: node.attachedCount,
    secondaryCount: node.secondaryCount,
    availabilityZoneId: node.availabilityZoneId,
    utilizationScore: node.utilizationScore ?? heartbeatScore(node),
  };
}

/** A pageserver's `utilization_score` is parts per million of full (UTILIZATION_FULL = 1 000 000). */
export const UTILIZATION_FULL = 1_000_000;

/** The score the last heartbeat recorded, 1.0 = full; null before the first. */
function heartbeatScore(node: PageserverNode): number | null {
  return node.utilization ? node.utilization.utilization_score / UTILIZATION_FULL : null;
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export interface SchedulableShard {
  intent: Intent;
  policy: PlacementPolicy;
  schedulingPolicy: ShardSchedulingPolicy;
  /** The shard's home AZ; null or absent: no preference. */
  preferredAz?: string | null;
}

/**
 * The tenant's locations per node, for the soft anti-affinity between one tenant's shards: pass
 * one map to every schedule() call of a tenant (create, split, reschedule) and it fills as they land.
 */
export type AffinityContext = Map<number, number>;

type Counts = { attached: number; secondary: number };
export type Role = 'attached' | 'secondary';

/** A node at least twice "full" is overloaded: skipped while another node can take the shard. */
export const OVERLOADED_SCORE = 2;
/** Utilization is compared in steps of this size, so that heartbeat noise does not reorder nodes. */
const UTILIZATION_STEP = 0.1;

export function isOverloaded(node: Pick<SchedulerNode, 'utilizationScore'>): boolean {
  return (node.utilizationScore ?? 0) >= OVERLOADED_SCORE;
}

/**
 * 0 best. An attachment belongs in its preferred AZ; a secondary (for availability) outside it.
 * Without a preference, or on a node of unknown AZ, every node ranks in the middle.
 */
export function azRank(role: Role, preferredAz: string | null | undefined, nodeAz: string | null): number {
  if (!preferredAz || nodeAz === null) return 1;
  const home = nodeAz === preferredAz;
  return role === 'attached' ? (home ? 0 : 2) : home ? 2 : 0;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

export class Scheduler {
  private readonly nodes = new Map<number, SchedulerNode>();
  private readonly changes = new Map<number, Counts>();

  constructor(nodes: SchedulerNode[]) {
    for (const node of nodes) this.nodes.set(node.id, { ...node });
  }

  private schedulable(id: number): boolean {
    return this.nodes.get(id)?.maySchedule ?? false;
  }

  /** The ranking tuple of a node for a role: lower is better, the node id last. */
  private score(
    node: SchedulerNode,
    role: Role,
    preferredAz: string | null | undefined,
    affinity: AffinityContext | undefined,
  ): number[] {
    const utilization = Math.floor((node.utilizationScore ?? 0) / UTILIZATION_STEP);
    const total = node.attachedCount + node.secondaryCount;
    const mine = affinity?.get(node.id) ?? 0;
    const az = azRank(role, preferredAz, node.availabilityZoneId);
    return role === 'attached'
      ? [az, mine, utilization, node.attachedCount, total, node.id]
      : [az, mine, utilization, total, node.id];
  }

  /** Best-ranked schedulable node not excluded, preferring ones not overloaded. */
  private pick(
    exclude: ReadonlySet<number>,
    role: Role = 'secondary',
    preferredAz?: string | null,
    affinity?: AffinityContext,
  ): number {
    if (this.nodes.size === 0) throw new ScheduleError('No pageservers found');
    let best: { node: SchedulerNode; key: number[] } | undefined;
    for (const node of this.nodes.values()) {
      if (!node.maySchedule || exclude.has(node.id)) continue;
      const key = [Number(isOverloaded(node)), ...this.score(node, role, preferredAz, affinity)];
      if (!best || lexLess(key, best.key)) best = { node, key };
    }
    if (!best) throw new ScheduleError('No pageserver found matching constraint');
    return best.node.id;
  }

  private adjust(id: number, attached: number, secondary: number): void {
    const node = this.nodes.get(id);
    if (node) {
      node.attachedCount += attached;
      node.secondaryCount += secondary;
    }
    const change = this.changes.get(id) ?? { attached: 0, secondary: 0 };
    change.attached += attached;
    change.secondary += secondary;
    this.changes.set(id, change);
  }

  private apply(before: Intent, after: Intent): void {
    if (before.attached !== null) this.adjust(before.attached, -1, 0);
    for (const n of before.secondary) this.adjust(n, 0, -1);
    if (after.attached !== null) this.adjust(after.attached, 1, 0);
    for (const n of after.secondary) this.adjust(n, 0, 1);
  }

  /** The shard's new intent under its policy. The input is not changed; the load is. */
  schedule(shard: SchedulableShard, affinity?: AffinityContext): { intent: Intent; changed: boolean } {
    const before = shard.intent;
    if (isPinned(shard.schedulingPolicy)) {
      return { intent: before, changed: false };
    }
    // Pick against the load as if this shard's current locations were already gone: a node it
    // occupies must not look busier because of the very shard being placed.
    this.apply(before, { attached: null, secondary: [] });
    let after: Intent;
    try {
      after = this.place(before, shard.policy, shard.preferredAz, affinity);
    } catch (error) {
      this.apply({ attached: null, secondary: [] }, before);
      throw error;
    }
    this.apply({ attached: null, secondary: [] }, after);
    const changed =
      after.attached !== before.attached ||
      after.secondary.length !== before.secondary.length ||
      after.secondary.some((n, i) => n !== before.secondary[i]);
    const result = changed ? after : before;
    if (affinity) {
      for (const n of result.attached === null ? result.secondary : [result.attached, ...result.secondary])
        affinity.set(n, (affinity.get(n) ?? 0) + 1);
    }
    return { intent: result, changed };
  }

  private place(
    before: Intent,
    policy: PlacementPolicy,
    preferredAz: string | null | undefined,
    affinity: AffinityContext | undefined,
  ): Intent {
    const known = (n: number) => this.nodes.has(n);
    switch (policy.kind) {
      case 'Detached':
        return { attached: null, secondary: [] };
      case 'Secondary': {
        const candidates = [
          ...before.secondary,
          ...(before.attached === null ? [] : [before.attached]),
        ].filter(known);
        // Prefer a location that already holds the data, and one that can take work.
        const keep = candidates.find((n) => this.schedulable(n)) ?? candidates[0];
        return {
          attached: null,
          secondary: [keep ?? this.pick(new Set(), 'secondary', preferredAz, affinity)],
        };
      }
      case 'Attached': {
        let attached = before.attached !== null && known(before.attached) ? before.attached : null;
        let secondary = before.secondary.filter((n) => known(n) && n !== attached);
        if (attached === null) {
          // The best-ranked secondary that can take work is promoted; else a fresh pick.
          const promotable = secondary.filter((n) => this.schedulable(n));
          attached =
            promotable.length > 0
              ? this.pick(
                  new Set(intentNodesOf(this.nodes.keys(), promotable)),
                  'attached',
                  preferredAz,
                  affinity,
                )
              : this.pick(new Set(secondary), 'attached', preferredAz, affinity);
          secondary = secondary.filter((n) => n !== attached);
        }
        if (secondary.length > policy.secondaries) {
          // Drop the ones that cannot take work first, then the last ones.
          const ranked = [...secondary].sort(
            (a, b) => Number(this.schedulable(b)) - Number(this.schedulable(a)),
          );
          const kept = new Set(ranked.slice(0, policy.secondaries));
          secondary = secondary.filter((n) => kept.has(n));
        }
        const exclude = new Set([attached, ...secondary]);
        while (secondary.length < policy.secondaries) {
          const n = this.pick(exclude, 'secondary', preferredAz, affinity);
          secondary.push(n);
          exclude.add(n);
        }
        return { attached, secondary };
      }
    }
  }

  /** Removes a deleted shard's references from the load. */
  release(intent: Intent): void {
    this.apply(intent, { attached: null, secondary: [] });
  }

  /** Net per-node count changes since construction. */
  deltas(): Map<number, Counts> {
    return new Map([...this.changes].filter(([, c]) => c.attached !== 0 || c.secondary !== 0));
  }
}

/** Every node but `keep`: the exclusion that limits a pick to `keep`. */
function intentNodesOf(all: Iterable<number>, keep: number[]): number[] {
  const kept = new Set(keep);
  return [...all].filter((n) => !kept.has(n));
}

/** A node going offline stops being the attached location; it is kept as a secondary candidate. */
export function notifyOffline(intent: Intent, nodeId: number): { intent: Intent; changed: boolean } {
  if (intent.attached !== nodeId) return { intent, changed: false };
  const secondary = intent.secondary.includes(nodeId) ? intent.secondary : [...intent.secondary, nodeId];
  return { intent: { attached: null, secondary }, changed: true };
}

export function countsFromIntents(intents: Intent[]): Map<number, Counts> {
  const counts = new Map<number, Counts>();
  const get = (n: number) => {
    const c = counts.get(n) ?? { attached: 0, secondary: 0 };
    counts.set(n, c);
    return c;
  };
  for (const intent of intents) {
    if (intent.attached !== null) get(intent.attached).attached += 1;
    for (const n of intent.secondary) get(n).secondary += 1;
  }
  return counts;
}
