// One reconcile-all pass: read the sparse dirty index page by page and reconcile each shard.
// Its reads grow with the number of dirty shards, not with the fleet.
import type { Services } from '../api/services';
import { reconcileDeps } from '../api/services';
import type { TenantShardId } from '../core/ids';
import { reconcileInline } from './reconcile-inline';

export interface ReconcileAllResult {
  /** Dirty-index entries read. */
  read: number;
  ok: number;
  failed: number;
  busy: number;
}

export async function reconcileAll(
  services: Services,
  owner: string,
  deadline: number,
  pageSize = 100,
): Promise<ReconcileAllResult> {
  const result: ReconcileAllResult = { read: 0, ok: 0, failed: 0, busy: 0 };
  let cursor: string | undefined;
  do {
    const page: { ids: TenantShardId[]; next?: string } = await services.tenants.listDirty(pageSize, cursor);
    result.read += page.ids.length;
    const outcomes = await reconcileInline(page.ids, reconcileDeps(services, owner), deadline);
    for (const outcome of outcomes) {
      if (outcome.status === 'ok') result.ok += 1;
      else if (outcome.status === 'busy') result.busy += 1;
      else result.failed += 1;
    }
    cursor = page.next;
  } while (cursor && Date.now() < deadline);
  return result;
}
