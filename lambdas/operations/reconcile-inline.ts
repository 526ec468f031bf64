// API operations reconcile the shards they changed before answering, within a deadline; what is
// not finished stays dirty for reconcile-all.
import type { TenantShardId } from '../core/ids';
import { type ReconcileDeps, type ReconcileOutcome, reconcileShard } from './reconcile-shard';

const CONCURRENCY = 16;

export async function reconcileInline(
  ids: TenantShardId[],
  deps: ReconcileDeps,
  deadline: number,
): Promise<ReconcileOutcome[]> {
  const outcomes: ReconcileOutcome[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      outcomes[i] = await reconcileShard(ids[i]!, deps, deadline).catch((error: Error) => ({
        status: 'error' as const,
        message: error.message,
      }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return outcomes;
}
