// A node's background operation (drain, fill, graceful delete) and the rules for starting,
// cancelling and ending one (reference later-features.md D1–D3, D7, D8, A10). One runs at a time
// in the whole cluster; its record names the workflow execution that carries it out.
import { ConflictError, PreconditionFailedError, UnavailableError } from '../errors';
import { maySchedule, type NodeSchedulingPolicy, type PageserverNode } from './node';

export const NODE_OPERATION_KINDS = ['drain', 'fill', 'delete'] as const;
export type NodeOperationKind = (typeof NODE_OPERATION_KINDS)[number];

export interface NodeOperation {
  kind: NodeOperationKind;
  nodeId: number;
  /** Name of the execution that carries it out; each of its steps checks it still owns the record. */
  execution: string;
  /** The execution's id (ARN on AWS), once started; null in the moment between claim and start. */
  executionId: string | null;
  /** Epoch ms of the claim. */
  startedAt: number;
  /** Asked to stop: the execution ends at its next step and restores the node's policy. */
  cancelled: boolean;
  /** The node's policy before the operation (a cancelled delete restores it). */
  previousPolicy: NodeSchedulingPolicy;
  /** Delete only: move shards without waiting for lagging secondaries. */
  force: boolean;
  version: number;
}

/** The policy a node holds while the operation runs. */
export const OPERATION_POLICY: Record<NodeOperationKind, NodeSchedulingPolicy> = {
  drain: 'Draining',
  fill: 'Filling',
  delete: 'Deleting',
};

/** How long a claim may go without its execution's id before it counts as abandoned (a crash). */
export const UNSTARTED_CLAIM_MS = 60_000;

/**
 * Whether the operation still runs, given its execution's status (undefined: unknown to the
 * runtime, as after a local controller restart, or not started yet).
 */
export function operationIsLive(
  op: Pick<NodeOperation, 'executionId' | 'startedAt'>,
  executionStatus: string | undefined,
  now: number,
): boolean {
  if (op.executionId === null) return now - op.startedAt < UNSTARTED_CLAIM_MS;
  return executionStatus === 'RUNNING';
}

/**
 * Refuses a start that D1/D2/A10 refuse; otherwise says what the node had before. `live` is the
 * operation that runs now, if any (an abandoned record does not count: the reference's QUIRK
 * left a node Draining after a controller restart and answered a new drain 409; here a new
 * operation takes over).
 */
export function checkStart(
  kind: NodeOperationKind,
  node: PageserverNode,
  nodes: PageserverNode[],
  live: NodeOperation | undefined,
): void {
  if (kind !== 'delete' && node.availability !== 'Active')
    throw new UnavailableError(`Node ${node.id} is not available (${node.availability})`, 5);
  if (live) {
    if (live.nodeId === node.id && live.kind === kind && kind !== 'fill')
      throw new ConflictError(
        `Node ${node.id} is already ${kind === 'drain' ? 'draining' : 'being deleted'}`,
      );
    throw new PreconditionFailedError(
      `Background operation already ongoing for node ${live.nodeId} (${live.kind})`,
    );
  }
  // The reference counts the drained node itself (QUIRK: a lone node passes); here it does not.
  const others = nodes.filter((n) => n.id !== node.id && maySchedule(n));
  if (kind === 'fill') {
    if (nodes.length < 2) throw new PreconditionFailedError('Fill requires more than one node');
  } else if (others.length === 0) {
    throw new PreconditionFailedError(`No other schedulable nodes to move node ${node.id}'s shards to`);
  }
  // A policy left by an abandoned operation of the same kind is taken over, not refused.
  const resumable = node.scheduling === OPERATION_POLICY[kind];
  if (kind === 'delete') return;
  if (node.scheduling !== 'Active' && !resumable)
    throw new PreconditionFailedError(
      `Node ${node.id} is in scheduling policy ${node.scheduling}, ${kind} needs Active`,
    );
}

/** The node's policy when the operation ends: done, or cancelled (including interrupted by the node itself). */
export function policyAfter(op: NodeOperation, outcome: 'done' | 'cancelled'): NodeSchedulingPolicy | null {
  if (outcome === 'cancelled') return op.kind === 'delete' ? restorable(op.previousPolicy) : 'Active';
  if (op.kind === 'drain') return 'PauseForRestart';
  if (op.kind === 'fill') return 'Active';
  return null; // a deleted node has none
}

/** What a cancelled delete restores: the policy before it, unless that was itself transient. */
function restorable(policy: NodeSchedulingPolicy): NodeSchedulingPolicy {
  return policy === 'Draining' || policy === 'Filling' || policy === 'Deleting' ? 'Active' : policy;
}

/** Policies re-attach resets to Active: a restarted pageserver starts a new cycle (D6). */
export const TRANSIENT_POLICIES: readonly NodeSchedulingPolicy[] = ['PauseForRestart', 'Draining', 'Filling'];
