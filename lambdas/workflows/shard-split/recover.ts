// A split whose execution is gone (a controller crash locally, a timeout or a manual stop on AWS)
// would leave its tenant flagged splitting for good: timeline operations 503, a new split 409.
// Startup and reconcile-all call this for tenants they find splitting: a split the pageservers
// had finished is committed, any other is aborted, idempotently; a split whose execution still
// runs is left alone.
import type { AppContext } from '../../app/context';
import { formatTenantShardId, splitChildren } from '../../core/ids';
import { TENANT_OPERATION_LEASE } from '../../core/leases';
import type { TenantShard } from '../../core/model/tenant-shard';
import { releaseIfHolderDead } from '../../leases/dead-holders';
import {
  acquireTenantOperation,
  reclaimDeadHolders,
  releaseTenantOperation,
} from '../../leases/tenant-operation';
import { markNotificationPending } from '../../notifications/mark-pending';
import { abortSplit, commitSplit } from './steps';

export type SplitRecovery = 'none' | 'running' | 'busy' | 'aborted' | 'finished';

/** Recovery is one task's work; a crash during it frees the tenant within a minute. */
const LEASE_MS = 60_000;
const DRAIN_MS = 5_000;
const LISTING_TIMEOUT_MS = 5_000;

export async function recoverInterruptedSplit(
  context: AppContext,
  tenantId: string,
  owner: string,
): Promise<SplitRecovery> {
  const current = await context.tenants.getTenantWithShards(tenantId);
  if (!current?.shards.some((s) => s.splitting)) return 'none';
  // A running split holds the tenant's lease (its owner is the execution's name) for longer than
  // the execution may run; a holder whose execution is not running has died.
  const holder = await context.leases.holder(tenantId, TENANT_OPERATION_LEASE);
  if (holder?.owner === owner) return 'busy';
  if (!(await releaseIfHolderDead(context, tenantId, TENANT_OPERATION_LEASE))) return 'running';
  const reclaim = reclaimDeadHolders(context, tenantId);
  if (!(await acquireTenantOperation(context.leases, tenantId, owner, LEASE_MS, DRAIN_MS, reclaim)))
    return 'busy';
  try {
    const latest = await context.tenants.getTenantWithShards(tenantId);
    if (!latest?.shards.some((s) => s.splitting)) return 'none';
    const newShardCount = Math.max(...latest.shards.map((s) => s.id.count));
    const input = { tenant_id: tenantId, new_shard_count: newShardCount };
    const parents = latest.shards.filter((s) => s.id.count !== newShardCount);
    const split = await splitOnPageservers(context, parents, newShardCount);
    if (split === 'unknown') return 'busy';
    if (split === 'all') {
      // The pageservers finished before the crash: finish too (undoing it would re-attach the
      // parents from remote storage for nothing).
      await commitSplit(context, input);
      await markNotificationPending(context.tenants, tenantId);
      context.log.warn('finished an interrupted shard split', { tenant: tenantId, holder: holder?.owner });
      return 'finished';
    }
    await abortSplit(context, input, owner);
    context.log.warn('aborted an interrupted shard split', { tenant: tenantId, holder: holder?.owner });
    return 'aborted';
  } finally {
    await releaseTenantOperation(context.leases, tenantId, owner);
  }
}

/** Whether every parent's pageserver has already split it: parent gone, all its children there. */
async function splitOnPageservers(
  context: AppContext,
  parents: TenantShard[],
  newShardCount: number,
): Promise<'all' | 'not-all' | 'unknown'> {
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  for (const parent of parents) {
    const node = parent.intent.attached === null ? undefined : nodes.get(parent.intent.attached);
    if (!node) return 'not-all';
    const held = await context.pageservers.listLocationConfigs(node, LISTING_TIMEOUT_MS).catch(() => null);
    if (held === null) return 'unknown';
    const names = new Set(held.map(([id]) => id));
    const children = splitChildren(parent.id, newShardCount).map(formatTenantShardId);
    if (names.has(formatTenantShardId(parent.id)) || !children.every((c) => names.has(c))) return 'not-all';
  }
  return 'all';
}
