// The reconciler's executor: drives one shard's pageservers towards its intent, one planned
// action at a time, re-reading and re-planning after each so that concurrent intent changes are
// honoured. A lease makes it the only reconciler of the shard; generations are persisted before
// any pageserver sees them; observed state is written after each confirmed call.

import type { AppContext } from '../app/context';
import type { ReconcileMetrics } from '../app/metrics-registry';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { shardLease } from '../core/leases';
import { attachedConf, detachConf, secondaryConf } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { planReconcile, type ReconcileAction } from '../core/reconcile-plan';
import { releaseIfHolderDead } from '../leases/dead-holders';
import { notifyTenant } from '../notifications/notify-tenant';
import { sendLocationConfig } from './send-location-config';
import { issueGeneration, updateShard } from './shard-update';

export type ReconcileDeps = Pick<
  AppContext,
  'tenants' | 'nodes' | 'leases' | 'pageservers' | 'computeHook' | 'workflows' | 'log'
> & {
  /** Identifies this reconciler as lease owner (request or execution id). */
  owner: string;
  /** The tenant operation this reconcile runs on behalf of (it holds the tenant; we may still act). */
  under?: string;
  metrics?: ReconcileMetrics;
};

/** The reconciler's view of the context, acting as `owner`. */
export function reconcileDeps(context: AppContext, owner: string): ReconcileDeps {
  return { ...context, owner, metrics: context.metrics.reconcileMetrics() };
}

export type ReconcileOutcome =
  | { status: 'ok' }
  | { status: 'busy' }
  | { status: 'error'; message: string }
  | { status: 'timeout' };

/** Upper bound on actions in one run: a plan converges in a handful; more means churn. */
const MAX_STEPS = 32;
export const LEASE_MS = 60_000;
/** A node marked Offline may still be up: a stale or detach is tried there, briefly. */
const OFFLINE_TIMEOUT_MS = 2_000;

class StepFailed extends Error {}

/** Each shard's run is its own lease owner, even when one request reconciles many shards. */
export function shardRunOwner(owner: string, id: TenantShardId): string {
  return `${owner}/${formatTenantShardId(id)}`;
}

/** Reconciles one shard under its lease: taken here, unless `leaseTaken` (as shardRunOwner). */
export async function reconcileShard(
  id: TenantShardId,
  deps: ReconcileDeps,
  deadline: number,
  leaseTaken = false,
): Promise<ReconcileOutcome> {
  const leaseName = shardLease(id);
  deps = { ...deps, owner: shardRunOwner(deps.owner, id) };
  const acquire = () => deps.leases.acquireShard(id, deps.owner, LEASE_MS, deps.under);
  // A migration whose execution died keeps the shard's lease for many minutes: reclaim it.
  if (
    !leaseTaken &&
    !(await acquire()) &&
    !((await releaseIfHolderDead(deps, id.tenantId, leaseName)) && (await acquire()))
  )
    return { status: 'busy' };
  deps.metrics?.reconcileStarted();
  try {
    const outcome = await run(id, deps, deadline);
    deps.metrics?.reconcileCompleted(
      outcome.status === 'ok' ? 'ok' : outcome.status === 'timeout' ? 'cancel' : 'error',
    );
    return outcome;
  } catch (error) {
    deps.metrics?.reconcileCompleted('error');
    throw error;
  } finally {
    await deps.leases.release(id.tenantId, leaseName, deps.owner);
  }
}

async function recordFailure(deps: ReconcileDeps, id: TenantShardId, message: string, pendingNotify = false) {
  await updateShard(deps.tenants, id, (s) => ({
    ...s,
    lastError: message,
    pendingComputeNotification: s.pendingComputeNotification || pendingNotify,
  }));
}

async function run(id: TenantShardId, deps: ReconcileDeps, deadline: number): Promise<ReconcileOutcome> {
  // Nodes we could not reach in this run: their actions wait for a later reconcile.
  const unreachable = new Set<number>();
  let lastFailure: string | null = null;
  for (let step = 0; step < MAX_STEPS; step++) {
    const shard = await deps.tenants.getShard(id);
    if (!shard) return { status: 'ok' };
    const nodeList = await deps.nodes.list();
    const nodes = new Map(nodeList.map((n) => [n.id, n]));
    const availability = new Map(nodeList.map((n) => [n.id, { availability: n.availability }]));
    const plan = planReconcile(shard, availability).filter(
      (a) => a.kind === 'notify' || !unreachable.has(a.node),
    );
    if (plan.length === 0) {
      if (lastFailure !== null) return { status: 'error', message: lastFailure };
      if (shard.lastError !== null)
        await updateShard(deps.tenants, id, (s) => (s.lastError === null ? null : { ...s, lastError: null }));
      return { status: 'ok' };
    }
    if (Date.now() >= deadline) return { status: 'timeout' };
    const action = plan[0]!;
    try {
      await execute(action, shard, nodes, deps, deadline);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      lastFailure = error.message;
      // An attach or notify that failed stops the run: later steps (detaching the old location)
      // must not run before the new one is confirmed.
      if (action.kind === 'attach' || action.kind === 'notify')
        return { status: 'error', message: error.message };
      unreachable.add(action.node);
    }
  }
  return {
    status: 'error',
    message: `shard ${formatTenantShardId(id)} did not converge in ${MAX_STEPS} steps`,
  };
}

async function execute(
  action: ReconcileAction,
  shard: TenantShard,
  nodes: Map<number, PageserverNode>,
  deps: ReconcileDeps,
  deadline: number,
): Promise<void> {
  const id = shard.id;
  if (action.kind === 'notify') return notify(shard, nodes, deps, deadline);

  const node = nodes.get(action.node);
  if (!node) {
    // The node was dropped: nothing can be sent there; forget what we thought it held.
    if (action.kind === 'detach') {
      await updateShard(deps.tenants, id, (s) => {
        const observed = { ...s.observed };
        delete observed[String(action.node)];
        return { ...s, observed };
      });
      return;
    }
    await recordFailure(deps, id, `node ${action.node} is not registered`);
    throw new StepFailed(`node ${action.node} is not registered`);
  }
  // Demoting or detaching an Offline node is tried (briefly): it may still be up.
  if (node.availability === 'Offline' && action.kind !== 'detach' && action.kind !== 'stale') {
    const message = `node ${node.id} is offline`;
    await recordFailure(deps, id, message);
    throw new StepFailed(message);
  }

  let conf =
    action.kind === 'secondary'
      ? secondaryConf(shardIdentity(shard), shard.config)
      : action.kind === 'stale'
        ? attachedConf(shardIdentity(shard), shard.config, staleGeneration(shard, node.id), 'AttachedStale')
        : detachConf(shardIdentity(shard), shard.config);
  if (action.kind === 'attach') {
    // Generation before attach: persist the increment (and mark the location unknown) first.
    const bumped = await issueGeneration(deps.tenants, id, node.id);
    if (!bumped) return;
    conf = attachedConf(shardIdentity(bumped), bumped.config, bumped.generation);
  } else {
    // The location is unknown while the call is in flight: a crash here leaves it dirty.
    await updateShard(deps.tenants, id, (s) => ({
      ...s,
      observed: { ...s.observed, [String(node.id)]: null },
    }));
  }

  try {
    const timeoutMs = node.availability === 'Offline' ? OFFLINE_TIMEOUT_MS : undefined;
    await sendLocationConfig(deps, node, id, conf, { timeoutMs });
  } catch (error) {
    const message = `location_config ${conf.mode} on node ${node.id} failed: ${(error as Error).message}`;
    await recordFailure(deps, id, message);
    throw new StepFailed(message);
  }

  await updateShard(deps.tenants, id, (s) => {
    const observed = { ...s.observed };
    let { generationPageserver } = s;
    if (conf.mode === 'Detached') {
      delete observed[String(node.id)];
      // A node that no longer holds the shard must not get it back from re-attach.
      if (generationPageserver === node.id) generationPageserver = null;
    } else observed[String(node.id)] = conf;
    // A fresh attach owes the control plane a notification, even if this run stops now.
    const pendingComputeNotification = s.pendingComputeNotification || action.kind === 'attach';
    return { ...s, observed, generationPageserver, pendingComputeNotification };
  });
}

/** The generation the node holds (not the shard's newest, which may have been issued elsewhere). */
function staleGeneration(shard: TenantShard, node: number): number {
  return shard.observed[String(node)]?.generation ?? shard.generation;
}

async function notify(
  shard: TenantShard,
  nodes: Map<number, PageserverNode>,
  deps: ReconcileDeps,
  deadline: number,
): Promise<void> {
  const outcome = await notifyTenant(shard.id.tenantId, deps, nodes, deadline);
  if (outcome.status === 'failed') {
    await recordFailure(deps, shard.id, outcome.message, true);
    throw new StepFailed(outcome.message);
  }
  // Sent (which cleared every owed flag) or nothing to send: this shard owes nothing now.
  await updateShard(deps.tenants, shard.id, (s) =>
    s.pendingComputeNotification ? { ...s, pendingComputeNotification: false } : null,
  );
}
