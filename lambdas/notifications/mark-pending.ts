// A notification that could not be delivered is owed: every shard of the tenant carries the
// pending flag until reconcile-all delivers it.
import type { TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

export async function markNotificationPending(tenants: TenantStore, tenantId: string): Promise<void> {
  await retryOnConflict(async () => {
    const latest = await tenants.getTenantWithShards(tenantId);
    if (!latest) return;
    const owed = latest.shards.filter((s) => !s.pendingComputeNotification);
    if (owed.length === 0) return;
    await tenants.saveShards(
      owed.map((before) => ({ before, after: { ...before, pendingComputeNotification: true } })),
    );
  });
}
