// Lease names, defined once: two operations exclude each other only if they use the same name.
import { formatShardIndex, type TenantShardId } from './ids';

/** Exclusive tenant operations (split, and the workflows that take the whole tenant). */
export const TENANT_OPERATION_LEASE = 'OPERATION';
/** One compute notifier per tenant at a time. */
export const NOTIFY_LEASE = 'NOTIFY';

/** One reconciler or migration of a shard at a time. */
export function shardLease(id: TenantShardId): string {
  return `SHARD#${formatShardIndex(id)}`;
}
