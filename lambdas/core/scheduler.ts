// The scheduler: where each shard's attached and secondary locations should be. Pure: it works
// on a snapshot of node loads and tracks the changes it makes, so several shards scheduled in a
// row spread out. Load counts attached and secondary locations equally.
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
}

export function schedulerNode(node: PageserverNode): SchedulerNode {
  return {
    id: node.id,
    maySchedule: maySchedule(node),
    attachedCount: node.attachedCount,
    secondaryCount: node.secondaryCount,
    availabilityZoneId: node.availabilityZoneId,
  };
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export interface SchedulableShard {
  intent: Intent;
  policy: PlacementPolicy;
  schedulingPolicy: ShardSchedulingPolicy;
}

type Counts = { attached: number; secondary: number };

export class Scheduler {
  private readonly nodes = new Map<number, SchedulerNode>();
  private readonly changes = new Map<number, Counts>();

  constructor(nodes: SchedulerNode[]) {
    for (const node of nodes) this.nodes.set(node.id, { ...node });
  }

  private load(id: number): number {
    const node = this.nodes.get(id);
    return node ? node.attachedCount + node.secondaryCount : Number.POSITIVE_INFINITY;
  }

  private schedulable(id: number): boolean {
    return this.nodes.get(id)?.maySchedule ?? false;
  }

  /** Least-loaded schedulable node not excluded; ties go to the lowest id. */
  private pick(exclude: ReadonlySet<number>): number {
    if (this.nodes.size === 0) throw new ScheduleError('No pageservers found');
    let best: SchedulerNode | undefined;
    for (const node of this.nodes.values()) {
      if (!node.maySchedule || exclude.has(node.id)) continue;
      const load = node.attachedCount + node.secondaryCount;
      const bestLoad = best ? best.attachedCount + best.secondaryCount : Number.POSITIVE_INFINITY;
      if (!best || load < bestLoad || (load === bestLoad && node.id < best.id)) best = node;
    }
    if (!best) throw new ScheduleError('No pageserver found matching constraint');
    return best.id;
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
  schedule(shard: SchedulableShard): { intent: Intent; changed: boolean } {
    const before = shard.intent;
    if (isPinned(shard.schedulingPolicy)) {
      return { intent: before, changed: false };
    }
    // Pick against the load as if this shard's current locations were already gone: a node it
    // occupies must not look busier because of the very shard being placed.
    this.apply(before, { attached: null, secondary: [] });
    let after: Intent;
    try {
      after = this.place(before, shard.policy);
    } catch (error) {
      this.apply({ attached: null, secondary: [] }, before);
      throw error;
    }
    this.apply({ attached: null, secondary: [] }, after);
    const changed =
      after.attached !== before.attached ||
      after.secondary.length !== before.secondary.length ||
      after.secondary.some((n, i) => n !== before.secondary[i]);
    return { intent: changed ? after : before, changed };
  }

  private place(before: Intent, policy: PlacementPolicy): Intent {
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
        return { attached: null, secondary: [keep ?? this.pick(new Set())] };
      }
      case 'Attached': {
        let attached = before.attached !== null && known(before.attached) ? before.attached : null;
        let secondary = before.secondary.filter((n) => known(n) && n !== attached);
        if (attached === null) {
          const promotable = secondary
            .filter((n) => this.schedulable(n))
            .sort((a, b) => this.load(a) - this.load(b) || a - b);
          attached = promotable[0] ?? this.pick(new Set(secondary));
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
          const n = this.pick(exclude);
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
