// A split whose execution is gone (a controller crash locally, a timeout or a manual stop on AWS)
// would leave its tenant flagged splitting for good: timeline operations 503, a new split 409.
// Startup and reconcile-all call this for tenants they find splitting; it aborts such a split,
// idempotently, and leaves a split whose execution still runs alone.
import type { AppContext } from '../../app/context';
import { TENANT_OPERATION_LEASE } from '../../core/leases';
import { releaseIfHolderDead } from '../../leases/dead-holders';
import { acquireTenantOperation, releaseTenantOperation } from '../../leases/tenant-operation';
import { abortSplit } from './steps';

export type SplitRecovery = 'none' | 'running' | 'busy' | 'aborted';

const LEASE_MS = 5 * 60_000;
const DRAIN_MS = 5_000;

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
  if (!(await acquireTenantOperation(context.leases, tenantId, owner, LEASE_MS, DRAIN_MS))) return 'busy';
  try {
    const latest = await context.tenants.getTenantWithShards(tenantId);
    if (!latest?.shards.some((s) => s.splitting)) return 'none';
    const newShardCount = Math.max(...latest.shards.map((s) => s.id.count));
    await abortSplit(context, { tenant_id: tenantId, new_shard_count: newShardCount }, owner);
    context.log.warn('aborted an interrupted shard split', { tenant: tenantId, holder: holder?.owner });
    return 'aborted';
  } finally {
    await releaseTenantOperation(context.leases, tenantId, owner);
  }
}
