// Exclusive tenant operations (split, delete, timeline create/delete, time travel): the tenant's
// OPERATION lease, held only once every shard lease taken before it (reconciles, migrations) has
// drained. New shard leases are refused while it is held (LeaseStore.acquireShard checks it in
// the same transaction), so the operation and any shard operation never overlap.
import { type AppContext, within } from '../app/context';
import { UnavailableError } from '../core/errors';
import { TENANT_OPERATION_LEASE } from '../core/leases';
import type { LeaseHolder, LeaseStore } from '../core/ports';
import { releaseIfHolderDead } from './dead-holders';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Work done on behalf of `owner` (its own reconciles) does not block it. */
function foreign(owner: string) {
  return (holder: { owner: string }) => holder.owner !== owner && !holder.owner.startsWith(`${owner}/`);
}

/**
 * Takes the OPERATION lease and waits up to `drainMs` for other shard leases to go; if they do not,
 * gives the lease back and answers false. `reclaim`, if given, is shown the blocking holders once
 * (to release those whose workflow died: a migration's lease would otherwise last many minutes).
 */
export async function acquireTenantOperation(
  leases: LeaseStore,
  tenantId: string,
  owner: string,
  ttlMs: number,
  drainMs: number,
  reclaim?: (holders: LeaseHolder[]) => Promise<void>,
): Promise<boolean> {
  if (!(await leases.acquire(tenantId, TENANT_OPERATION_LEASE, owner, ttlMs))) return false;
  const deadline = Date.now() + drainMs;
  let reclaimed = false;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    const blocking = (await leases.shardHolders(tenantId)).filter(foreign(owner));
    if (blocking.length === 0) return true;
    if (reclaim && !reclaimed) {
      reclaimed = true;
      await reclaim(blocking);
      continue;
    }
    if (Date.now() + pause > deadline) {
      await leases.release(tenantId, TENANT_OPERATION_LEASE, owner);
      return false;
    }
    await sleep(pause);
  }
}

/** Releases, among the holders blocking a tenant operation, those whose workflow no longer runs. */
export function reclaimDeadHolders(
  context: Pick<AppContext, 'leases' | 'workflows' | 'log'>,
  tenantId: string,
): (holders: LeaseHolder[]) => Promise<void> {
  return async (holders) => {
    for (const holder of holders) await releaseIfHolderDead(context, tenantId, holder.name);
  };
}

export function releaseTenantOperation(leases: LeaseStore, tenantId: string, owner: string): Promise<void> {
  return leases.release(tenantId, TENANT_OPERATION_LEASE, owner);
}

export interface TenantOperationOptions<T = unknown> {
  /** How long to wait for the tenant to be free before answering 503. */
  waitMs?: number;
  /** Lease lifetime: the operation must finish within it (a crash frees the tenant after it). */
  ttlMs?: number;
  /**
   * Keep the lease (until it expires) when the result says the work goes on without us: a
   * deletion a pageserver is still running must not see the tenant moved meanwhile. The caller's
   * next attempt, under the same owner, takes the lease again as its own.
   */
  keepWhile?: (result: T) => boolean;
}

/** Runs `run` as the tenant's only operation; 503 (retry) if the tenant stays busy for `waitMs`. */
export async function withTenantOperation<T>(
  context: Pick<AppContext, 'leases' | 'workflows' | 'log' | 'deadline'>,
  tenantId: string,
  owner: string,
  run: () => Promise<T>,
  { waitMs = 10_000, ttlMs = 60_000, keepWhile }: TenantOperationOptions<T> = {},
): Promise<T> {
  const deadline = within(context, waitMs);
  let checkedHolder = false;
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const remaining = deadline - Date.now();
    if (
      await acquireTenantOperation(
        context.leases,
        tenantId,
        owner,
        ttlMs,
        Math.max(0, remaining),
        reclaimDeadHolders(context, tenantId),
      )
    )
      break;
    // Held by a workflow that died (a crash, a stopped execution)? Then nobody will release it.
    if (!checkedHolder) {
      checkedHolder = true;
      if (await releaseIfHolderDead(context, tenantId, TENANT_OPERATION_LEASE)) continue;
    }
    if (Date.now() + pause > deadline)
      throw new UnavailableError(`Tenant ${tenantId} is busy with another operation`, 1);
    await sleep(pause);
  }
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await releaseTenantOperation(context.leases, tenantId, owner);
    throw error;
  }
  if (!keepWhile?.(result)) await releaseTenantOperation(context.leases, tenantId, owner);
  return result;
}

/**
 * A workflow's tasks act on a tenant only while its execution still holds the tenant: after a
 * crash, recovery may have taken the tenant over, and a task still running for the dead execution
 * (a zombie) must then do nothing.
 */
export async function holdsTenantOperation(
  leases: LeaseStore,
  tenantId: string,
  owner: string,
): Promise<boolean> {
  return (await leases.holder(tenantId, TENANT_OPERATION_LEASE))?.owner === owner;
}
