// The background optimizer's planner (later-features.md B5, B6): after a reconcile-all pass that
// found nothing else to do, find shards whose placement could be better and say what single step
// brings each closer. Pure: it is fed the fleet a page of tenants at a time and keeps its own
// projected node counts, so that the steps it plans in one pass do not all pile onto one node.
//
// A move of an attachment goes in steps, each found again on a later pass (no queue is kept):
// create a secondary where the attachment belongs, let the reconcile warm it, migrate the
// attachment there (the migrate workflow drops the secondaries the policy no longer wants), then
// tidy the secondaries. Comparisons use only AZ match, the tenant's own shards on the node and
// shard counts, never utilization, so that heartbeat noise cannot make a shard flap; a move must
// leave the destination strictly less loaded than the origin was, so no move is ever undone.
import { formatTenantShardId } from './ids';
import type { TenantShard } from './model/tenant-shard';
import { isDirty } from './reconcile-plan';
import { azRank, isOverloaded, type Role, type SchedulerNode } from './scheduler';

/** At most this many steps are planned per pass … */
export const OPTIMIZER_PLAN_LIMIT = 64;
/** … and at most this many applied (later-features.md B5: 64 planned, 16 applied per pass). */
export const OPTIMIZER_APPLY_LIMIT = 16;

export type Optimization =
  /** Move the attachment to `to`, already a warm secondary of the shard (checked before starting). */
  | { kind: 'migrate'; shard: string; version: number; from: number; to: number }
  /** Add a secondary at `node`, where the attachment (now on `from`) moves once it is warm. */
  | { kind: 'create-secondary'; shard: string; version: number; from: number; node: number }
  /** Move the secondary at `from` to the better-placed `to`. */
  | { kind: 'replace-secondary'; shard: string; version: number; from: number; to: number }
  /** Drop the secondary at `node`: more than the policy wants, and no move waits for it. */
  | { kind: 'remove-secondary'; shard: string; version: number; node: number };

/** A move under way (its secondary is being made): nothing to do now, but it counts as done. */
interface Pending {
  kind: 'pending';
  from: number;
  to: number;
}

interface Load {
  node: SchedulerNode;
  attached: number;
  total: number;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** Why a shard is left alone this pass, or null if the optimizer may touch it. */
export function optimizerSkips(shard: TenantShard): string | null {
  if (shard.splitting) return 'splitting';
  if (shard.schedulingPolicy !== 'Active') return `scheduling policy ${shard.schedulingPolicy}`;
  if (shard.policy.kind !== 'Attached' || shard.intent.attached === null) return 'detached';
  // Observed differs from intent: a reconcile or a migration has work to do here first.
  if (isDirty(shard)) return 'reconciling';
  return null;
}

/** A secondary is worth migrating to once the pageserver confirmed it (then warmth is asked). */
function confirmedSecondary(shard: TenantShard, node: number): boolean {
  return shard.observed[String(node)]?.mode === 'Secondary';
}

export class OptimizerPlanner {
  private readonly loads = new Map<number, Load>();
  readonly planned: Optimization[] = [];
  /**
   * Shards left alone for now only (reconciling, splitting, not scheduling Active) or with a move
   * under way: a later pass may find work there without any node count changing.
   */
  private waiting = 0;

  constructor(
    nodes: readonly SchedulerNode[],
    private readonly limit = OPTIMIZER_PLAN_LIMIT,
  ) {
    for (const node of nodes)
      this.loads.set(node.id, {
        node,
        attached: node.attachedCount,
        total: node.attachedCount + node.secondaryCount,
      });
  }

  get full(): boolean {
    return this.planned.length >= this.limit;
  }

  /**
   * Nothing planned and nothing waiting among the tenants considered: as long as no node's counts,
   * AZ or readiness change (optimizer-quiet.ts), a pass over the same fleet would plan nothing.
   */
  get settled(): boolean {
    return this.planned.length === 0 && this.waiting === 0;
  }

  /** Considers every shard of one tenant (shards of one tenant share an affinity count). */
  considerTenant(shards: readonly TenantShard[]): void {
    if (this.full) return;
    if (shards.some((s) => s.splitting)) {
      this.waiting += 1;
      return;
    }
    // The tenant's locations per node: its shards keep apart where they can (soft anti-affinity).
    const mine = new Map<number, number>();
    const count = (n: number, d: number) => mine.set(n, (mine.get(n) ?? 0) + d);
    for (const s of shards) for (const n of locations(s)) count(n, 1);
    for (const shard of shards) {
      if (this.full) return;
      const skip = optimizerSkips(shard);
      if (skip !== null) {
        if (skip !== 'detached') this.waiting += 1;
        continue;
      }
      // Affinity as seen by this shard: the tenant's other shards only.
      for (const n of locations(shard)) count(n, -1);
      const step = this.planShard(shard, mine);
      for (const n of locations(shard)) count(n, 1);
      if (step) this.record(step, mine);
    }
  }

  private planShard(shard: TenantShard, others: ReadonlyMap<number, number>): Optimization | Pending | null {
    const id = formatTenantShardId(shard.id);
    const attached = shard.intent.attached!;
    const secondaries = shard.intent.secondary;
    const wanted = shard.policy.kind === 'Attached' ? shard.policy.secondaries : 0;
    const here = this.loads.get(attached);
    const key = (role: Role, load: Load, extra: number) => [
      azRank(role, shard.preferredAz, load.node.availabilityZoneId),
      others.get(load.node.id) ?? 0,
      (role === 'attached' ? load.attached : load.total) + extra,
    ];
    // 1. The attachment: is there a node it belongs on more than where it is? A secondary of the
    // shard that would do is preferred to any other node: its data is there already.
    if (here) {
      const current = key('attached', here, 0);
      let best: { load: Load; key: number[] } | undefined;
      for (const load of this.loads.values()) {
        if (load.node.id === attached || !this.canTake(load)) continue;
        const k = [Number(!secondaries.includes(load.node.id)), ...key('attached', load, 1), load.node.id];
        if (lexLess(k.slice(1, 4), current) && (!best || lexLess(k, best.key))) best = { load, key: k };
      }
      if (best) {
        const to = best.load.node.id;
        if (!secondaries.includes(to))
          return { kind: 'create-secondary', shard: id, version: shard.version, from: attached, node: to };
        if (confirmedSecondary(shard, to))
          return { kind: 'migrate', shard: id, version: shard.version, from: attached, to };
        // The secondary is still being made: a later pass moves the attachment; meanwhile others
        // must count it as good as moved.
        return { kind: 'pending', from: attached, to };
      }
    }
    // 2. More secondaries than the policy wants (a move was planned and then became pointless).
    if (secondaries.length > wanted) {
      const worst = [...secondaries].sort((a, b) => {
        const la = this.loads.get(a);
        const lb = this.loads.get(b);
        if (!la || !lb) return la ? 1 : lb ? -1 : b - a;
        const ka = [Number(!this.canTake(la)), ...key('secondary', la, 0), a];
        const kb = [Number(!this.canTake(lb)), ...key('secondary', lb, 0), b];
        return lexLess(ka, kb) ? 1 : lexLess(kb, ka) ? -1 : 0;
      })[0]!;
      return { kind: 'remove-secondary', shard: id, version: shard.version, node: worst };
    }
    // 3. Each secondary: one outside the home AZ and on a less loaded node serves availability better.
    const taken = new Set([attached, ...secondaries]);
    for (const from of secondaries) {
      const load = this.loads.get(from);
      if (!load) continue;
      const current = key('secondary', load, 0);
      let best: { load: Load; key: number[] } | undefined;
      for (const other of this.loads.values()) {
        if (taken.has(other.node.id) || !this.canTake(other)) continue;
        const k = key('secondary', other, 1);
        if (
          lexLess(k, current) &&
          (!best || lexLess([...k, other.node.id], [...best.key, best.load.node.id]))
        )
          best = { load: other, key: k };
      }
      if (best)
        return { kind: 'replace-secondary', shard: id, version: shard.version, from, to: best.load.node.id };
    }
    return null;
  }

  private canTake(load: Load): boolean {
    return load.node.maySchedule && !isOverloaded(load.node);
  }

  /** Projects the step onto the counts (and the tenant's affinity), as if it were already done. */
  private record(step: Optimization | Pending, mine: Map<number, number>): void {
    if (step.kind !== 'pending') this.planned.push(step);
    else this.waiting += 1;
    const add = (n: number, attached: number, total: number) => {
      const load = this.loads.get(n);
      if (load) {
        load.attached += attached;
        load.total += total;
      }
    };
    switch (step.kind) {
      case 'create-secondary':
        // Counted as the attachment it is made for, so that later shards look elsewhere.
        add(step.node, 1, 1);
        add(step.from, -1, 0);
        mine.set(step.node, (mine.get(step.node) ?? 0) + 1);
        break;
      case 'pending':
      case 'migrate':
        add(step.to, 1, 0);
        add(step.from, -1, 0);
        break;
      case 'replace-secondary':
        add(step.to, 0, 1);
        add(step.from, 0, -1);
        mine.set(step.to, (mine.get(step.to) ?? 0) + 1);
        mine.set(step.from, (mine.get(step.from) ?? 0) - 1);
        break;
      case 'remove-secondary':
        add(step.node, 0, -1);
        mine.set(step.node, (mine.get(step.node) ?? 0) - 1);
        break;
    }
  }
}

function locations(shard: TenantShard): number[] {
  return shard.intent.attached === null
    ? shard.intent.secondary
    : [shard.intent.attached, ...shard.intent.secondary];
}

/** Plans steps for the given tenants (each a list of its shards) in order, up to the limit. */
export function planOptimizations(
  nodes: readonly SchedulerNode[],
  tenants: ReadonlyArray<readonly TenantShard[]>,
  limit = OPTIMIZER_PLAN_LIMIT,
): Optimization[] {
  const planner = new OptimizerPlanner(nodes, limit);
  for (const shards of tenants) planner.considerTenant(shards);
  return planner.planned;
}

/**
 * Why moving the shard's attachment to `target` (an operator's migrate) is a move to a
 * worse-scoring node, or null if it is not. Worse means what the optimizer would undo: outside
 * the shard's preferred AZ when the attachment is inside it now, or onto an overloaded node from
 * one that is not. Shard counts alone do not refuse a move (the optimizer evens them out again).
 */
export function worseMigrationReason(
  shard: Pick<TenantShard, 'intent' | 'preferredAz'>,
  origin: SchedulerNode | undefined,
  target: SchedulerNode,
): string | null {
  if (!origin || origin.id === target.id) return null;
  const from = azRank('attached', shard.preferredAz, origin.availabilityZoneId);
  const to = azRank('attached', shard.preferredAz, target.availabilityZoneId);
  if (to > from)
    return (
      `node ${target.id} is in ${target.availabilityZoneId ?? 'no known AZ'}, outside the shard's ` +
      `preferred AZ ${shard.preferredAz}, where node ${origin.id} holds it now`
    );
  if (isOverloaded(target) && !isOverloaded(origin))
    return `node ${target.id} is overloaded (utilization ${target.utilizationScore})`;
  return null;
}
