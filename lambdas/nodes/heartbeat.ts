// One heartbeat pass: every pageserver's `GET /v1/utilization` probed at once, and each answer
// turned into the node's availability (core/heartbeat.ts decides). A transition is one write
// conditioned on the node's version; only the pass whose write made it acts on it (failover on
// Offline, reconciling what was unknown there on Active), so overlapping passes (a slow beat
// running into the next scheduled one) cannot both fail a node over.
import type { AppContext } from '../app/context';
import { VersionConflictError } from '../core/errors';
import {
  decideHeartbeat,
  type HeartbeatDecision,
  type HeartbeatSettings,
  PROBE_RETRIES,
  PROBE_TIMEOUT_MS,
  type Probe,
} from '../core/heartbeat';
import type { PageserverNode } from '../core/model/node';
import { nodeCameBack, nodeWentOffline } from './node-availability';

export interface ProbeOptions {
  timeoutMs: number;
  retries: number;
}

export const DEFAULT_PROBE: ProbeOptions = { timeoutMs: PROBE_TIMEOUT_MS, retries: PROBE_RETRIES };

/** `GET /v1/utilization` with a short timeout per attempt and a few quick retries. */
export async function probeNode(
  context: Pick<AppContext, 'pageservers'>,
  node: PageserverNode,
  options: ProbeOptions = DEFAULT_PROBE,
): Promise<Probe> {
  let error = '';
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * attempt));
    try {
      return { ok: true, utilization: await context.pageservers.utilization(node, options.timeoutMs) };
    } catch (failure) {
      error = (failure as Error).message;
    }
  }
  return { ok: false, error };
}

export interface BeatOutcome {
  node: number;
  availability: PageserverNode['availability'];
  /** The transition this pass made (and acted on), if any. */
  transition: 'activated' | 'offline' | null;
  error?: string;
}

/**
 * Applies one probe's decision to the node: a conditional write from the node as listed; on a
 * lost race, a fresh read and a fresh decision (the other writer may have made the transition).
 * Returns the decision that was written, and the node as written.
 */
async function applyProbe(
  context: AppContext,
  listed: PageserverNode,
  probe: Probe,
  settings: HeartbeatSettings,
  now: () => number,
): Promise<{ decision: HeartbeatDecision; node: PageserverNode } | null> {
  let node: PageserverNode | undefined = listed;
  for (let attempt = 1; attempt <= 8; attempt++) {
    if (!node) return null; // deleted meanwhile
    const decision = decideHeartbeat(node, probe, now(), settings);
    if (decision.kind === 'none') return { decision, node };
    try {
      return { decision, node: await context.nodes.update(node.id, node.version, decision.changes) };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      node = await context.nodes.get(listed.id);
    }
  }
  return null;
}

/**
 * Probes `nodeIds` (every node when null) concurrently and applies the answers. Failover and
 * activation run after all probes, each within the invocation's deadline; what they leave undone
 * stays dirty for reconcile-all.
 */
export async function heartbeatPass(
  context: AppContext,
  options: {
    nodeIds?: number[] | null;
    settings?: HeartbeatSettings;
    probe?: ProbeOptions;
    owner: string;
    now?: () => number;
  },
): Promise<BeatOutcome[]> {
  const settings = options.settings ?? context.heartbeat;
  const now = options.now ?? Date.now;
  const wanted = options.nodeIds ? new Set(options.nodeIds) : null;
  const nodes = (await context.nodes.list()).filter((n) => !wanted || wanted.has(n.id));
  const probed = await Promise.all(
    nodes.map(async (node) => {
      const probe = await probeNode(context, node, options.probe);
      const applied = await applyProbe(context, node, probe, settings, now);
      return { node, probe, applied };
    }),
  );
  const outcomes: BeatOutcome[] = [];
  for (const { node, probe, applied } of probed) {
    const kind = applied?.decision.kind;
    const transition = kind === 'activate' ? 'activated' : kind === 'offline' ? 'offline' : null;
    if (transition) {
      context.metrics.nodeTransitions.inc({ to: transition === 'offline' ? 'Offline' : 'Active' });
      context.log.info('node availability', {
        node: node.id,
        from: node.availability,
        to: applied!.node.availability,
        ...(probe.ok ? {} : { error: probe.error }),
      });
    }
    outcomes.push({
      node: node.id,
      availability: applied?.node.availability ?? node.availability,
      transition,
      ...(probe.ok ? {} : { error: probe.error }),
    });
  }
  // Acted on by the pass that made the transition, one node at a time: failover moves shards and
  // the scheduler must see the load the previous node's failover left.
  for (const outcome of outcomes) {
    if (outcome.transition === 'offline') await nodeWentOffline(context, outcome.node, options.owner);
    else if (outcome.transition === 'activated') await nodeCameBack(context, outcome.node, options.owner);
  }
  return outcomes;
}
