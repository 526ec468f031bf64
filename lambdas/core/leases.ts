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

/**
 * Workflows that hold leases under their execution's name (split: the tenant; migrate, evacuate,
 * optimize, and a node's drain, fill or delete: a shard per move) name their executions with these
 * prefixes. Only such a holder can be found dead (its execution no longer runs) and have its lease
 * reclaimed.
 */
export const EXECUTION_OWNER_PREFIXES = [
  'split-',
  'migrate-',
  'evacuate-',
  'optimize-',
  'drain-',
  'fill-',
  'node-delete-',
] as const;

export function isExecutionOwner(owner: string): boolean {
  return EXECUTION_OWNER_PREFIXES.some((prefix) => owner.startsWith(prefix)) && !owner.includes('/');
}
