// API operations reconcile the shards they changed before answering, within a deadline; what is
// not finished stays dirty for reconcile-all.
import { mapLimited } from '../core/concurrency';
import type { TenantShardId } from '../core/ids';
import { type ReconcileDeps, type ReconcileOutcome, reconcileShard } from './reconcile-shard';

const CONCURRENCY = 16;

export function reconcileInline(
  ids: TenantShardId[],
  deps: ReconcileDeps,
  deadline: number,
): Promise<ReconcileOutcome[]> {
  return mapLimited(ids, CONCURRENCY, (id) =>
    reconcileShard(id, deps, deadline).catch((error: Error) => ({
      status: 'error' as const,
      message: error.message,
    })),
  );
}
