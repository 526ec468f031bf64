// Operator cancellation of a shard's reconcile (PUT .../cancel_reconcile, later-features.md C5).
// The reconcile may run in another Lambda: it cannot be interrupted mid-call, so the holder of the
// shard's lease is flagged and stops before its next step (a reconcile before its next action, a
// migration before its cut-over, aborting to one attached location). The shard stays dirty and
// reconcile-all takes it up again.
import type { AppContext } from '../app/context';
import type { TenantShardId } from '../core/ids';
import { shardLease } from '../core/leases';
import { releaseIfHolderDead } from '../leases/dead-holders';

export type CancelOutcome = 'idle' | 'stopped' | 'still-running';

const POLL_MS = 100;

export async function cancelReconcile(
  context: Pick<AppContext, 'leases' | 'workflows' | 'log'>,
  id: TenantShardId,
  deadline: number,
): Promise<CancelOutcome> {
  const name = shardLease(id);
  // A migration whose execution is gone stops by itself: its lease is simply released.
  const holder = await context.leases.holder(id.tenantId, name);
  if (!holder || (await releaseIfHolderDead(context, id.tenantId, name))) return 'idle';
  if (!(await context.leases.cancel(id.tenantId, name, holder.owner))) return 'stopped';
  context.log.info('reconcile cancelled by an operator', {
    tenant: id.tenantId,
    lease: name,
    holder: holder.owner,
  });
  for (;;) {
    const now = await context.leases.holder(id.tenantId, name);
    if (now?.owner !== holder.owner) return 'stopped';
    if (Date.now() + POLL_MS >= deadline) return 'still-running';
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
