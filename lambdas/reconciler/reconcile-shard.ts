// The reconciler's executor: drives one shard's pageservers towards its intent, one planned
// action at a time, re-reading and re-planning after each so that concurrent intent changes are
// honoured. A lease makes it the only reconciler of the shard; generations are persisted before
// any pageserver sees them; observed state is written after each confirmed call.

import type { AppContext } from '../app/context';
import type { ReconcileMetrics } from '../app/metrics-registry';
import { PageserverError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../core/leases';
import { attachedConf, detachConf, secondaryConf } from '../core/model/location-config';
import type { NodeAvailability, PageserverNode } from '../core/model/node';
import { issueTo, withoutSending } from '../core/model/sending';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { planReconcile, type ReconcileAction } from '../core/reconcile-plan';
import { releaseIfHolderDead } from '../leases/dead-holders';
import { notifyTenant } from '../notifications/notify-tenant';
import { sendLocationConfig } from './send-location-config';
import { updateShard } from './shard-update';

export type ReconcileDeps = Pick<
  AppContext,
  'tenants' | 'nodes' | 'leases' | 'pageservers' | 'computeHook' | 'workflows' | 'log'
> & {
  /** Identifies this reconciler as lease owner (request or execution id). */
  owner: string;
  /** The tenant operation this reconcile runs on behalf of (it holds the tenant; we may still act). */
  under?: string;
  /**
   * Leave the compute notification to the caller (owed flags stay set): one that reconciles many
   * shards of a tenant notifies it once at the end, not once per shard.
   */
  deferNotify?: boolean;
  metrics?: ReconcileMetrics;
};

/** The reconciler's view of the context, acting as `owner`. */
export function reconcileDeps(context: AppContext, owner: string): ReconcileDeps {
  return { ...context, owner, metrics: context.metrics.reconcileMetrics() };
}

export type ReconcileOutcome =
  | { status: 'ok' }
  | { status: 'busy' }
  /** `unreachable`: the last failure was a pageserver that did not answer (transport, timeout, 503). */
  | { status: 'error'; message: string; unreachable?: boolean }
  | { status: 'timeout' }
  /** An operator cancelled it (cancel_reconcile): it stopped between steps; the shard stays dirty. */
  | { status: 'cancelled' };

/** Upper bound on actions in one run: a plan converges in a handful; more means churn. */
const MAX_STEPS = 32;
export const LEASE_MS = 60_000;
/** A node marked Offline may still be up: a demotion or detach is tried there, briefly. */
const OFFLINE_TIMEOUT_MS = 2_000;

class StepFailed extends Error {
  constructor(
    message: string,
    /** The shard as the failure was recorded. */
    readonly shard: TenantShard | undefined,
    /** The pageserver did not answer (as opposed to refusing). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

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
  // A migration whose execution died keeps the shard's lease for many minutes, and a split that
  // died before it flagged any shard keeps the tenant's (16 min; split recovery only sees
  // flagged shards): reclaim either.
  const reclaim = async () =>
    (await releaseIfHolderDead(deps, id.tenantId, leaseName)) &&
    (await releaseIfHolderDead(deps, id.tenantId, TENANT_OPERATION_LEASE));
  if (!leaseTaken && !(await acquire()) && !((await reclaim()) && (await acquire())))
    return { status: 'busy' };
  deps.metrics?.reconcileStarted();
  try {
    const outcome = await run(id, deps, deadline);
    deps.metrics?.reconcileCompleted(
      outcome.status === 'ok'
        ? 'ok'
        : outcome.status === 'timeout' || outcome.status === 'cancelled'
          ? 'cancel'
          : 'error',
    );
    return outcome;
  } catch (error) {
    deps.metrics?.reconcileCompleted('error');
    throw error;
  } finally {
    await deps.leases.release(id.tenantId, leaseName, deps.owner);
  }
}

async function recordFailure(
  deps: ReconcileDeps,
  shard: TenantShard,
  message: string,
  pendingNotify = false,
): Promise<TenantShard | undefined> {
  return updateShard(
    deps.tenants,
    shard.id,
    (s) => ({
      ...s,
      lastError: message,
      pendingComputeNotification: s.pendingComputeNotification || pendingNotify,
    }),
    shard,
  );
}

type Availability = ReadonlyMap<number, { availability: NodeAvailability }>;

/**
 * The shard is read once, and the nodes once, per run: each step plans from the copy its last
 * write saved, and every write is conditioned on that copy's version, so a concurrent change
 * costs a retry from a fresh read rather than a read at every step.
 */
async function run(id: TenantShardId, deps: ReconcileDeps, deadline: number): Promise<ReconcileOutcome> {
  // Nodes we could not reach in this run: their actions wait for a later reconcile.
  const unreachable = new Set<number>();
  let lastFailure: string | null = null;
  let lastUnreachable = false;
  const nodeList = await deps.nodes.list();
  const nodes = new Map(nodeList.map((n) => [n.id, n]));
  const availability: Availability = new Map(nodeList.map((n) => [n.id, { availability: n.availability }]));
  let shard = await deps.tenants.getShard(id);
  for (let step = 0; step < MAX_STEPS; step++) {
    if (!shard) return { status: 'ok' };
    const plan = planReconcile(shard, availability).filter((a) =>
      a.kind === 'notify' ? !deps.deferNotify : !unreachable.has(a.node),
    );
    if (plan.length === 0) {
      if (lastFailure !== null) return failed(lastFailure, lastUnreachable);
      if (shard.lastError !== null)
        await updateShard(
          deps.tenants,
          id,
          (s) => (s.lastError === null ? null : { ...s, lastError: null }),
          shard,
        );
      return { status: 'ok' };
    }
    if (Date.now() >= deadline) return { status: 'timeout' };
    if (await cancelled(id, deps)) return { status: 'cancelled' };
    const action = plan[0]!;
    // The planner puts the settling of other locations before an attach: those are demotions.
    const demotion = plan.slice(1).some((a) => a.kind === 'attach');
    try {
      shard = await execute(action, shard, nodes, availability, deps, deadline, demotion);
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      lastFailure = error.message;
      lastUnreachable = error.unreachable;
      shard = error.shard;
      // An attach or notify that failed stops the run: later steps (detaching the old location)
      // must not run before the new one is confirmed.
      if (action.kind === 'attach' || action.kind === 'notify')
        return failed(error.message, error.unreachable);
      unreachable.add(action.node);
    }
  }
  return {
    status: 'error',
    message: `shard ${formatTenantShardId(id)} did not converge in ${MAX_STEPS} steps`,
  };
}

function failed(message: string, unreachable: boolean): ReconcileOutcome {
  return unreachable ? { status: 'error', message, unreachable } : { status: 'error', message };
}

/** Whether an operator asked this run to stop (one read of its lease, before each action). */
async function cancelled(id: TenantShardId, deps: ReconcileDeps): Promise<boolean> {
  const holder = await deps.leases.holder(id.tenantId, shardLease(id));
  return holder?.owner === deps.owner && holder.cancelled === true;
}

/** Whether the plan for this version of the shard still has the action (for the same node). */
function stillPlanned(shard: TenantShard, action: ReconcileAction, availability: Availability): boolean {
  return planReconcile(shard, availability).some(
    (a) => a.kind === action.kind && (a.kind === 'notify' || a.node === (action as { node: number }).node),
  );
}

/** One planned action; answers the shard as last written (undefined once it is gone). */
async function execute(
  action: ReconcileAction,
  shard: TenantShard,
  nodes: Map<number, PageserverNode>,
  availability: Availability,
  deps: ReconcileDeps,
  deadline: number,
  demotion: boolean,
): Promise<TenantShard | undefined> {
  if (action.kind === 'notify') return notify(shard, nodes, deps, deadline);
  const fail = async (message: string, unreachable = false) =>
    new StepFailed(message, await recordFailure(deps, shard, message), unreachable);

  const node = nodes.get(action.node);
  if (!node) {
    // The node was dropped: nothing can be sent there; forget what we thought it held.
    if (action.kind === 'detach') {
      return updateShard(
        deps.tenants,
        shard.id,
        (s) => {
          const observed = { ...s.observed };
          delete observed[String(action.node)];
          return { ...s, observed };
        },
        shard,
      );
    }
    throw await fail(`node ${action.node} is not registered`);
  }
  // Demoting or detaching an Offline node is tried (briefly): it may still be up, and the sole
  // holder in an older generation (failed over while alive) until it is told otherwise. A new
  // secondary there is not tried.
  if (node.availability === 'Offline' && !demotion && action.kind !== 'detach' && action.kind !== 'stale')
    throw await fail(`node ${node.id} is offline`, true);

  // Before the call, one write: the location is unknown while the call is in flight (a crash
  // here leaves the shard dirty), and an attach persists its generation first. The write applies
  // only if the fresh version still plans this action; the call is built from what it saved.
  let planned = false;
  let held: number | undefined;
  let elsewhere: number | null = null;
  const before = await updateShard(
    deps.tenants,
    shard.id,
    (s) => {
      planned = stillPlanned(s, action, availability);
      if (!planned) return null;
      held = s.observed[String(node.id)]?.generation ?? undefined;
      if (action.kind !== 'attach') return { ...s, observed: { ...s.observed, [String(node.id)]: null } };
      // No newer generation while a call carrying the newest may still land on another node.
      const issued = issueTo(s, node.id);
      if ('elsewhere' in issued) {
        elsewhere = issued.elsewhere;
        return null;
      }
      return issued.shard;
    },
    shard,
  );
  if (elsewhere !== null)
    throw await fail(`a call in generation ${before?.generation} may still reach node ${elsewhere}`, true);
  if (!before || !planned) return before; // gone, or changed meanwhile: plan again
  const identity = shardIdentity(before);
  const conf =
    action.kind === 'attach'
      ? attachedConf(identity, before.config, before.generation)
      : action.kind === 'secondary'
        ? secondaryConf(identity, before.config)
        : action.kind === 'stale'
          ? // The generation the node holds (not the newest, which may have been issued elsewhere).
            attachedConf(identity, before.config, held ?? before.generation, 'AttachedStale')
          : detachConf(identity, before.config);

  try {
    const timeoutMs = node.availability === 'Offline' ? OFFLINE_TIMEOUT_MS : undefined;
    await sendLocationConfig(deps, node, shard.id, conf, { timeoutMs });
  } catch (error) {
    throw await fail(
      `location_config ${conf.mode} on node ${node.id} failed: ${(error as Error).message}`,
      error instanceof PageserverError && error.transient,
    );
  }

  return updateShard(
    deps.tenants,
    shard.id,
    (s) => {
      const observed = { ...s.observed };
      let { generationPageserver } = s;
      if (conf.mode === 'Detached') {
        delete observed[String(node.id)];
        // A node that no longer holds the shard must not get it back from re-attach.
        if (generationPageserver === node.id) generationPageserver = null;
      } else observed[String(node.id)] = conf;
      // A fresh attach owes the control plane a notification, even if this run stops now.
      const pendingComputeNotification = s.pendingComputeNotification || action.kind === 'attach';
      // An attach that succeeded: its call is no longer on its way. (A failed one may still land,
      // and another action's outcome says nothing of a call on its way here.)
      const settled = action.kind === 'attach' ? withoutSending(s, node.id) : s;
      return { ...settled, observed, generationPageserver, pendingComputeNotification };
    },
    before,
  );
}

async function notify(
  shard: TenantShard,
  nodes: Map<number, PageserverNode>,
  deps: ReconcileDeps,
  deadline: number,
): Promise<TenantShard | undefined> {
  const outcome = await notifyTenant(shard.id.tenantId, deps, nodes, deadline);
  if (outcome.status === 'failed') {
    throw new StepFailed(outcome.message, await recordFailure(deps, shard, outcome.message, true));
  }
  // Sent (which cleared every owed flag, this copy's version with them) or nothing to send: read
  // afresh, and this shard owes nothing now.
  return updateShard(deps.tenants, shard.id, (s) =>
    s.pendingComputeNotification ? { ...s, pendingComputeNotification: false } : null,
  );
}
