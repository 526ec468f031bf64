// Tenant create: pick the tenant's home AZ (core/preferred-az.ts), schedule every shard, persist
// tenant, shards, memberships and node counters in one write, then place the shards inline. Nothing is persisted if scheduling is impossible.
import { type AppContext, within } from '../app/context';
import { type ApiError, ConflictError, VersionConflictError } from '../core/errors';
import { formatTenantShardId, shardsOfCount } from '../core/ids';
import type { TenantConfig } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import type { PlacementPolicy } from '../core/model/placement-policy';
import { newTenant } from '../core/model/tenant';
import { EMPTY_INTENT, newShard, type TenantShard } from '../core/model/tenant-shard';
import type { LeaseClaim, NodeStore, TenantStore } from '../core/ports';
import { chooseHomeAz } from '../core/preferred-az';
import { type AffinityContext, ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { reconcileInline } from '../reconciler/reconcile-many';
import { type ReconcileOutcome, reconcileDeps } from '../reconciler/reconcile-shard';
import { reconcileWaitError } from '../reconciler/wait-outcome';
import { createLease, issuedAtCreate, placeNewTenant } from './place-new-tenant';

export interface CreateTenantRequest {
  tenantId: string;
  /** Starting generation: the first attach issues generation + 1. */
  generation: number;
  shardCount: number;
  stripeSize: number;
  policy: PlacementPolicy;
  config: TenantConfig;
}

/** Every shard of the request, scheduled on `nodes` in the home AZ `homes` decide; nothing is written. */
function scheduleShards(
  nodes: PageserverNode[],
  homes: Map<string, number>,
  request: CreateTenantRequest,
  onScheduleError?: () => void,
): TenantShard[] {
  const preferredAz = chooseHomeAz(nodes, homes);
  const scheduler = new Scheduler(nodes.map(schedulerNode));
  const affinity: AffinityContext = new Map();
  const shards: TenantShard[] = [];
  for (const id of shardsOfCount(request.tenantId, request.shardCount)) {
    let intent = EMPTY_INTENT;
    try {
      intent = scheduler.schedule(
        { intent: EMPTY_INTENT, policy: request.policy, schedulingPolicy: 'Active', preferredAz },
        affinity,
      ).intent;
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      onScheduleError?.();
      throw new ConflictError(`Scheduling error: ${error.message}`);
    }
    shards.push(
      newShard({
        id,
        stripeSize: request.stripeSize,
        generation: request.generation,
        policy: request.policy,
        config: request.config,
        intent,
        preferredAz,
      }),
    );
  }
  return shards;
}

const tenantOf = (request: CreateTenantRequest) =>
  newTenant({
    tenantId: request.tenantId,
    shardCount: request.shardCount,
    stripeSize: request.stripeSize,
    policy: request.policy,
    config: request.config,
  });

/** Writes the tenant and its shards; a 409 if it exists (the create's condition says so). */
async function persist(
  stores: { tenants: TenantStore },
  request: CreateTenantRequest,
  shards: TenantShard[],
  claim?: LeaseClaim,
): Promise<void> {
  try {
    await stores.tenants.createTenant(tenantOf(request), shards, claim);
  } catch (error) {
    if (error instanceof VersionConflictError) {
      // Either a concurrent create of the same tenant, or a chosen node vanished meanwhile (or,
      // with a claim, the lease is held).
      if (await stores.tenants.getTenant(request.tenantId)) {
        throw new ConflictError(`Tenant ${request.tenantId} already exists`);
      }
    }
    throw error;
  }
}

export async function createTenant(
  stores: { tenants: TenantStore; nodes: NodeStore },
  request: CreateTenantRequest,
  onScheduleError?: () => void,
): Promise<TenantShard[]> {
  if (await stores.tenants.getTenant(request.tenantId)) {
    throw new ConflictError(`Tenant ${request.tenantId} already exists`);
  }
  const { nodes, homeShardsByAz: homes } = await stores.nodes.listWithHomes();
  const shards = scheduleShards(nodes, homes, request, onScheduleError);
  await persist(stores, request, shards);
  return shards.map((s) => ({ ...s, version: 1 }));
}

/**
 * Shards the fast path places (placeNewTenant): all attached somewhere, and few enough that the
 * create, and the last write, each fit in one transaction.
 */
const FAST_PATH_MAX_SHARDS = 16;

/**
 * The API's create: persist, then place every shard within the budget, and return the shards as
 * they are now (so each reports the generation it actually runs in). The tenant's existence is
 * the create transaction's own condition (no read before it); the node list read for scheduling
 * is the one placing uses. A shard whose attach did not finish gives `failure`, the reference's
 * answer for it (408 when its pageserver could not be reached in time, 500 when it refused); the
 * tenant stays, and reconcile-all attaches it later. A compute notification that failed is no
 * failure of the create: it is retried later.
 */
export async function createAndPlaceTenant(
  context: AppContext,
  request: CreateTenantRequest,
  owner: string,
): Promise<{ shards: TenantShard[]; failure: ApiError | null }> {
  // The home AZ counts are read with the nodes: one Query of their partition.
  const { nodes, homeShardsByAz: homes } = await context.nodes.listWithHomes();
  const shards = scheduleShards(nodes, homes, request, () => context.metrics.schedulingErrors.inc());
  let placed: { shards: TenantShard[]; outcomes: ReconcileOutcome[] };
  if (shards.length <= FAST_PATH_MAX_SHARDS && shards.every((s) => s.intent.attached !== null)) {
    const issued = shards.map(issuedAtCreate);
    await persist(context, request, issued, createLease(owner));
    const tenant = { ...tenantOf(request), version: 1 };
    placed = await placeNewTenant(
      context,
      tenant,
      issued.map((s) => ({ ...s, version: 1 })),
      nodes,
      owner,
    );
  } else {
    await persist(context, request, shards);
    const outcomes = await reconcileInline(
      shards.map((s) => s.id),
      reconcileDeps(context, owner),
      within(context, context.inlineReconcileMs),
    );
    const now = await context.tenants.getTenantWithShards(request.tenantId);
    placed = { shards: now?.shards ?? shards, outcomes };
  }
  const failures = placed.outcomes.map((outcome, i) =>
    reconcileWaitError(formatTenantShardId(shards[i]!.id), outcome),
  );
  return { shards: placed.shards, failure: failures.find((f) => f !== null) ?? null };
}
