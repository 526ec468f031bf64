// Tenant create: pick the tenant's home AZ (core/preferred-az.ts), schedule every shard, persist tenant, shards, memberships and node counters in
// one write, then reconcile inline. Nothing is persisted if scheduling is impossible.
import { type AppContext, within } from '../app/context';
import { ConflictError, VersionConflictError } from '../core/errors';
import { shardsOfCount } from '../core/ids';
import type { TenantConfig } from '../core/model/location-config';
import type { PlacementPolicy } from '../core/model/placement-policy';
import { newTenant } from '../core/model/tenant';
import { EMPTY_INTENT, newShard, type TenantShard } from '../core/model/tenant-shard';
import type { NodeStore, TenantStore } from '../core/ports';
import { chooseHomeAz } from '../core/preferred-az';
import { type AffinityContext, ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';

export interface CreateTenantRequest {
  tenantId: string;
  /** Starting generation: the first attach issues generation + 1. */
  generation: number;
  shardCount: number;
  stripeSize: number;
  policy: PlacementPolicy;
  config: TenantConfig;
}

export async function createTenant(
  stores: { tenants: TenantStore; nodes: NodeStore },
  request: CreateTenantRequest,
  onScheduleError?: () => void,
): Promise<TenantShard[]> {
  if (await stores.tenants.getTenant(request.tenantId)) {
    throw new ConflictError(`Tenant ${request.tenantId} already exists`);
  }
  const [nodes, homes] = await Promise.all([stores.nodes.list(), stores.tenants.homeShardsByAz()]);
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
  try {
    await stores.tenants.createTenant(
      newTenant({
        tenantId: request.tenantId,
        shardCount: request.shardCount,
        stripeSize: request.stripeSize,
        policy: request.policy,
        config: request.config,
      }),
      shards,
    );
  } catch (error) {
    if (error instanceof VersionConflictError) {
      // Either a concurrent create of the same tenant, or a chosen node vanished meanwhile.
      if (await stores.tenants.getTenant(request.tenantId)) {
        throw new ConflictError(`Tenant ${request.tenantId} already exists`);
      }
    }
    throw error;
  }
  return shards.map((s) => ({ ...s, version: 1 }));
}

/**
 * The API's create: persist, then reconcile every shard inline within the budget, and return the
 * shards as they are now (so each reports the generation it actually runs in).
 */
export async function createAndPlaceTenant(
  context: AppContext,
  request: CreateTenantRequest,
  owner: string,
): Promise<TenantShard[]> {
  const shards = await createTenant(context, request, () => context.metrics.schedulingErrors.inc());
  await reconcileInline(
    shards.map((s) => s.id),
    reconcileDeps(context, owner),
    within(context, context.inlineReconcileMs),
  );
  return (await context.tenants.getTenantWithShards(request.tenantId))?.shards ?? shards;
}
