// Decisions of drain and fill (reference later-features.md D1, D2, D4, D5), pure: which shards a
// round moves, where to, when the node is full enough, when an operation has stopped making
// progress. The workflow steps read the table and the pageservers and ask these.
import { STEP_FUNCTIONS } from './aws-limits';
import { maySchedule, type PageserverNode } from './model/node';
import type { TenantShard } from './model/tenant-shard';
import { notifyOffline, ScheduleError, type Scheduler } from './scheduler';

/** Migrations one round starts at most (the reference's 64 per operation). */
export const MOVES_PER_ROUND = 64;
/** Rounds in a row without the node's attached count moving before an operation stops trying. */
export const MAX_STALLED_ROUNDS = 3;
/**
 * Events one move adds to its execution's history: a successful live migration passes ten
 * states (Task: 5 events, Pass or Choice: 2) in a Map iteration (2 more), about 45; a slow
 * catch-up adds 7 per poll.
 */
export const HISTORY_EVENTS_PER_MOVE = 60;
/**
 * Moves one execution makes before it hands over to a fresh one (continue-as-new), so that its
 * history stays well inside Step Functions' 25,000 events whatever the node holds.
 */
export const MOVES_PER_EXECUTION =
  Math.floor((STEP_FUNCTIONS.executionHistoryEvents * 0.8) / HISTORY_EVENTS_PER_MOVE / MOVES_PER_ROUND) *
  MOVES_PER_ROUND;
/** The reference's --max-secondary-lag-bytes default. */
export const DEFAULT_MAX_SECONDARY_LAG_BYTES = 256 * 1024 * 1024;

/** Drain moves Active and Essential shards attached to the node; pinned ones (Pause, Stop) stay (D5). */
export function drainable(shard: TenantShard, nodeId: number): boolean {
  return (
    shard.intent.attached === nodeId &&
    shard.policy.kind === 'Attached' &&
    !shard.splitting &&
    (shard.schedulingPolicy === 'Active' || shard.schedulingPolicy === 'Essential')
  );
}

/**
 * Where a drained shard goes: its least-loaded schedulable secondary (promoted), else a node
 * the scheduler picks (live migration). Null when nowhere can take it. The scheduler counts the
 * choice, so the shards of one round spread.
 */
export function drainDestination(
  shard: TenantShard,
  nodeId: number,
  scheduler: Scheduler,
): { node: number; promotesSecondary: boolean } | null {
  try {
    // As if the node had gone: the scheduler promotes a secondary first, else places anew.
    const { intent } = scheduler.schedule({
      ...shard,
      schedulingPolicy: 'Active',
      intent: notifyOffline(shard.intent, nodeId).intent,
    });
    if (intent.attached === null || intent.attached === nodeId) return null;
    return { node: intent.attached, promotesSecondary: shard.intent.secondary.includes(intent.attached) };
  } catch (error) {
    if (error instanceof ScheduleError) return null;
    throw error;
  }
}

/** D4: a secondary too far behind (or whose lag is unknown) is not promoted; the shard stays. */
export function lagTooHigh(lagBytes: number | null, maxLagBytes: number): boolean {
  return lagBytes === null || lagBytes > maxLagBytes;
}

/** Nodes a fill balances against: those that may take shards (the filling node among them). */
export function fillPeers(nodes: PageserverNode[]): PageserverNode[] {
  return nodes.filter((n) => maySchedule(n));
}

/**
 * The attached count a filled node aims at: the mean over the nodes that may take shards of
 * every attached shard in the cluster (rounded down: the fill never overshoots).
 */
export function fillTarget(nodes: PageserverNode[]): number {
  const peers = fillPeers(nodes);
  if (peers.length === 0) return 0;
  const total = nodes.reduce((sum, n) => sum + n.attachedCount, 0);
  return Math.floor(total / peers.length);
}

/** Fill moves only Active shards attached elsewhere (D5). */
export function fillable(shard: TenantShard, nodeId: number): boolean {
  return (
    shard.intent.attached !== null &&
    shard.intent.attached !== nodeId &&
    shard.policy.kind === 'Attached' &&
    !shard.splitting &&
    shard.schedulingPolicy === 'Active'
  );
}

/** At most about shard_count / nodes shards of one tenant on the filled node (at least one). */
export function tenantCap(shardCount: number, peers: number): number {
  return Math.max(1, Math.ceil(Math.max(shardCount, 1) / Math.max(peers, 1)));
}

/** Balanced: the spread of attached counts is at most max(2, 5 % of all attached shards). */
export function isBalanced(attachedCounts: number[]): boolean {
  if (attachedCounts.length === 0) return true;
  const total = attachedCounts.reduce((a, b) => a + b, 0);
  return Math.max(...attachedCounts) - Math.min(...attachedCounts) <= Math.max(2, 0.05 * total);
}

/** How an operation is doing between rounds: carried through the workflow's state (small). */
export interface RoundProgress {
  round: number;
  /** The node's attached count when the last round was planned; null before the first. */
  lastAttached: number | null;
  stalledRounds: number;
  moved: number;
  skipped: number;
  /** Moves planned by the current execution (a successor starts again from 0). */
  movedInExecution: number;
}

export const FIRST_ROUND: RoundProgress = {
  round: 0,
  lastAttached: null,
  stalledRounds: 0,
  moved: 0,
  skipped: 0,
  movedInExecution: 0,
};

/** Whether the execution has made as many moves as its history allows: a successor takes over. */
export function historyFull(progress: RoundProgress): boolean {
  return progress.movedInExecution + MOVES_PER_ROUND > MOVES_PER_EXECUTION;
}

/**
 * The progress as the next round begins, with the node's attached count now. Drain wants it to
 * fall, fill to rise; a round that moved nothing counts towards giving up.
 */
export function nextRound(
  progress: RoundProgress,
  attachedNow: number,
  direction: 'down' | 'up',
): RoundProgress {
  const last = progress.lastAttached;
  const advanced = last === null || (direction === 'down' ? attachedNow < last : attachedNow > last);
  return {
    ...progress,
    round: progress.round + 1,
    lastAttached: attachedNow,
    stalledRounds: advanced ? 0 : progress.stalledRounds + 1,
  };
}
