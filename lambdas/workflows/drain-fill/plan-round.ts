// One round of a drain, fill or graceful delete: check the operation still stands (its record
// names this execution, not cancelled, the node still in the operation's policy), then pick up to
// 64 shards to move and where. The moves run as live migrations in the workflow's Map; the next
// round sees what they achieved. Shard ids travel through the state a round at a time, never the
// node's whole list.
import type { AppContext } from '../../app/context';
import {
  drainable,
  drainDestination,
  fillable,
  fillPeers,
  fillTarget,
  historyFull,
  lagTooHigh,
  MAX_STALLED_ROUNDS,
  MOVES_PER_ROUND,
  nextRound,
  type RoundProgress,
  tenantCap,
} from '../../core/drain-fill-plan';
import { formatTenantShardId, parseTenantShardId, type TenantShardId } from '../../core/ids';
import { isExecutionOwner, shardLease } from '../../core/leases';
import type { PageserverNode } from '../../core/model/node';
import { type NodeOperationKind, OPERATION_POLICY } from '../../core/model/node-operation';
import type { TenantShard } from '../../core/model/tenant-shard';
import { Scheduler, schedulerNode } from '../../core/scheduler';

/** How long one move's destination may take to catch up before that move aborts. */
const CATCH_UP_MS = 5 * 60_000;
/** Shards read per batch while looking for candidates. */
const READ_BATCH = 100;

export interface RoundInput {
  node_id: number;
  kind: NodeOperationKind;
  execution: string;
  force: boolean;
  max_lag_bytes: number;
  progress: RoundProgress;
}

export type RoundStatus = 'move' | 'done' | 'cancelled' | 'interrupted' | 'superseded' | 'continue';

export interface RoundPlan {
  status: RoundStatus;
  moves: Array<{ shard: string; node_id: number }>;
  progress: RoundProgress;
  /** Epoch ms by which each move's destination must have caught up. */
  deadline: number;
}

export async function planRound(context: AppContext, input: RoundInput): Promise<RoundPlan> {
  const stop = (status: RoundStatus): RoundPlan => ({
    status,
    moves: [],
    progress: input.progress,
    deadline: 0,
  });
  const op = await context.operations.get();
  if (op?.execution !== input.execution) return stop('superseded');
  if (op.cancelled) return stop('cancelled');
  const nodes = await context.nodes.list();
  const node = nodes.find((n) => n.id === input.node_id);
  // Gone (deleted meanwhile) or its policy changed by someone else (re-attach, an operator): the
  // operation no longer stands, and the node's policy is theirs.
  if (!node || node.scheduling !== OPERATION_POLICY[input.kind]) return stop('interrupted');
  // A long operation goes on in a fresh execution before its history could overflow.
  if (historyFull(input.progress)) return stop('continue');
  const planned =
    input.kind === 'fill'
      ? await planFill(context, input, node, nodes)
      : await planDrain(context, input, node, nodes);
  const { moves } = planned;
  if (moves.length === 0 || planned.progress.stalledRounds >= MAX_STALLED_ROUNDS)
    return { status: 'done', moves: [], progress: planned.progress, deadline: 0 };
  await releaseDeadHolders(context, moves);
  context.log.info('node operation round', {
    execution: input.execution,
    round: planned.progress.round,
    moves: moves.length,
  });
  return { status: 'move', moves, progress: planned.progress, deadline: Date.now() + CATCH_UP_MS };
}

/**
 * A move's shard may still be leased by an execution that is gone (a predecessor of this
 * operation, a migration, killed with a controller restart): its lease is released now, rather
 * than have the move wait out its 20 minutes.
 */
async function releaseDeadHolders(context: AppContext, moves: RoundPlan['moves']): Promise<void> {
  const running = new Set(
    (await context.workflows.list({ status: 'RUNNING', limit: 1000 })).map((e) => e.name),
  );
  await Promise.all(
    moves.map(async ({ shard }) => {
      const id = parseTenantShardId(shard);
      const holder = await context.leases.holder(id.tenantId, shardLease(id));
      if (holder && isExecutionOwner(holder.owner) && !running.has(holder.owner))
        await context.leases.release(id.tenantId, shardLease(id), holder.owner);
    }),
  );
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The shard's secondary lag on `node` in bytes; null when it cannot be told. */
async function lagOn(context: AppContext, node: PageserverNode, shard: TenantShard): Promise<number | null> {
  try {
    const progress = await context.pageservers.secondaryStatus(node, shard.id);
    return Math.max(0, progress.bytes_total - progress.bytes_downloaded);
  } catch {
    return null;
  }
}

async function planDrain(
  context: AppContext,
  input: RoundInput,
  node: PageserverNode,
  nodes: PageserverNode[],
): Promise<{ moves: RoundPlan['moves']; progress: RoundProgress }> {
  const attached = (await context.tenants.nodeMemberships(node.id)).filter((m) => m.attached);
  let progress = nextRound(input.progress, attached.length, 'down');
  const scheduler = new Scheduler(nodes.map(schedulerNode));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const moves: RoundPlan['moves'] = [];
  let skipped = 0;
  for (const batch of chunks(
    attached.map((m) => m.id),
    READ_BATCH,
  )) {
    if (moves.length >= MOVES_PER_ROUND) break;
    const candidates: Array<{ shard: TenantShard; node: number; promotes: boolean }> = [];
    for (const shard of await context.tenants.getShards(batch)) {
      const destination = drainable(shard, node.id) ? drainDestination(shard, node.id, scheduler) : null;
      if (destination)
        candidates.push({ shard, node: destination.node, promotes: destination.promotesSecondary });
      else skipped += 1;
    }
    // D4: a secondary about to be promoted must be nearly warm; a forced delete does not wait.
    const lags = await Promise.all(
      candidates.map((c) =>
        c.promotes && !input.force ? lagOn(context, byId.get(c.node)!, c.shard) : Promise.resolve(0),
      ),
    );
    candidates.forEach((c, i) => {
      if (lagTooHigh(lags[i]!, input.max_lag_bytes) || moves.length >= MOVES_PER_ROUND) {
        if (moves.length < MOVES_PER_ROUND) skipped += 1;
        return;
      }
      moves.push({ shard: formatTenantShardId(c.shard.id), node_id: c.node });
    });
  }
  progress = {
    ...progress,
    moved: progress.moved + moves.length,
    movedInExecution: progress.movedInExecution + moves.length,
    skipped,
  };
  return { moves, progress };
}

async function planFill(
  context: AppContext,
  input: RoundInput,
  node: PageserverNode,
  nodes: PageserverNode[],
): Promise<{ moves: RoundPlan['moves']; progress: RoundProgress }> {
  const target = fillTarget(nodes);
  let progress = nextRound(input.progress, node.attachedCount, 'up');
  const want = Math.min(MOVES_PER_ROUND, target - node.attachedCount);
  if (want <= 0) return { moves: [], progress };
  const peers = fillPeers(nodes).length;
  const mine = await context.tenants.nodeMemberships(node.id);
  const perTenant = new Map<string, number>();
  for (const m of mine.filter((m) => m.attached))
    perTenant.set(m.id.tenantId, (perTenant.get(m.id.tenantId) ?? 0) + 1);
  // Load of each source as the planned moves leave it: nothing is taken from a node at or below
  // the target, so the fill never unbalances another node.
  const load = new Map(nodes.map((n) => [n.id, n.attachedCount]));
  const moves: RoundPlan['moves'] = [];
  const taken = new Set<string>();
  const consider = async (ids: TenantShardId[]) => {
    for (const batch of chunks(ids, READ_BATCH)) {
      if (moves.length >= want) return;
      const shards = (await context.tenants.getShards(batch)).sort(
        (a, b) => (load.get(b.intent.attached ?? 0) ?? 0) - (load.get(a.intent.attached ?? 0) ?? 0),
      );
      for (const shard of shards) {
        if (moves.length >= want) return;
        const key = formatTenantShardId(shard.id);
        if (taken.has(key) || !fillable(shard, node.id)) continue;
        const source = shard.intent.attached!;
        if ((load.get(source) ?? 0) <= target) continue;
        const here = perTenant.get(shard.id.tenantId) ?? 0;
        if (here >= tenantCap(shard.id.count, peers)) continue;
        taken.add(key);
        perTenant.set(shard.id.tenantId, here + 1);
        load.set(source, (load.get(source) ?? 0) - 1);
        moves.push({ shard: key, node_id: node.id });
      }
    }
  };
  // Shards with a warm secondary here first (a promotion), then others from the busiest nodes.
  await consider(mine.filter((m) => m.secondary && !m.attached).map((m) => m.id));
  const sources = nodes
    .filter((n) => n.id !== node.id && n.attachedCount > target)
    .sort((a, b) => b.attachedCount - a.attachedCount);
  for (const source of sources) {
    if (moves.length >= want) break;
    if ((load.get(source.id) ?? 0) <= target) continue;
    await consider(
      (await context.tenants.nodeMemberships(source.id)).filter((m) => m.attached).map((m) => m.id),
    );
  }
  progress = {
    ...progress,
    moved: progress.moved + moves.length,
    movedInExecution: progress.movedInExecution + moves.length,
  };
  return { moves, progress };
}
