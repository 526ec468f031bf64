// Changes what a tenant wants (policy, scheduling switch, config) and re-places its shards: the
// tenant item, every shard, memberships and node counters are written together, retried as a
// whole when a concurrent change got there first.
import { ConflictError, NotFoundError, UnavailableError } from '../core/errors';
import type { TenantConfig } from '../core/model/location-config';
import {
  type PlacementPolicy,
  type ShardSchedulingPolicy,
  schedulingAfter,
} from '../core/model/placement-policy';
import type { Tenant } from '../core/model/tenant';
import type { TenantShard } from '../core/model/tenant-shard';
import type { NodeStore, TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';
import { type AffinityContext, ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';

export interface TenantChange {
  policy?: PlacementPolicy;
  schedulingPolicy?: ShardSchedulingPolicy;
  config?: TenantConfig;
}

/** Retries for read-modify-write on one tenant: enough for tens of concurrent writers. */
export const TENANT_WRITE_ATTEMPTS = 40;

/**
 * `change` may be a function of the tenant as read: it is re-applied to a fresh read on every
 * attempt, so that a change derived from the current state (location_config keeping the policy it
 * finds) never writes back a value another writer has replaced meanwhile.
 */
export async function rescheduleTenant(
  stores: { tenants: TenantStore; nodes: NodeStore },
  tenantId: string,
  changeOf: TenantChange | ((tenant: Tenant) => TenantChange),
  onScheduleError?: () => void,
): Promise<{ tenant: Tenant; shards: TenantShard[] }> {
  return retryOnConflict(async () => {
    const current = await stores.tenants.getTenantWithShards(tenantId);
    if (!current) throw new NotFoundError(`Tenant ${tenantId} not found`);
    if (current.shards.some((s) => s.splitting))
      throw new UnavailableError('Tenant shards are currently splitting', 5);
    const change = typeof changeOf === 'function' ? changeOf(current.tenant) : changeOf;
    const tenant: Tenant = {
      ...current.tenant,
      policy: change.policy ?? current.tenant.policy,
      schedulingPolicy: schedulingAfter(current.tenant.schedulingPolicy, change),
      config: change.config ?? current.tenant.config,
    };
    const scheduler = new Scheduler((await stores.nodes.list()).map(schedulerNode));
    const affinity: AffinityContext = new Map();
    const shards = current.shards.map((shard) => {
      const next: TenantShard = {
        ...shard,
        policy: tenant.policy,
        schedulingPolicy: tenant.schedulingPolicy,
        config: tenant.config,
      };
      try {
        next.intent = scheduler.schedule(next, affinity).intent;
      } catch (error) {
        if (!(error instanceof ScheduleError)) throw error;
        onScheduleError?.();
        throw new ConflictError(`Scheduling error: ${error.message}`);
      }
      return next;
    });
    const unchanged =
      JSON.stringify(tenant) === JSON.stringify(current.tenant) &&
      JSON.stringify(shards) === JSON.stringify(current.shards);
    if (unchanged) return current;
    const saved = await stores.tenants.saveShards(
      current.shards.map((before, i) => ({ before, after: shards[i]! })),
      { before: current.tenant, after: tenant },
    );
    return { tenant: { ...tenant, version: tenant.version + 1 }, shards: saved };
  }, TENANT_WRITE_ATTEMPTS);
}
