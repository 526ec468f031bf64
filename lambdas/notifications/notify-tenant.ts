// Telling the control plane where a tenant's shards are. One notifier per tenant at a time (a
// lease), so shards reconciled together do not all send the same placement; identical
// notifications are not re-sent unless forced. Startup's announcements take no lease
// (notifications/announce-all.ts): each side treats a tenant the other wrote during its delivery
// as owed again (an announcement's every write changes what the tenant remembers as delivered).
import type { AppContext } from '../app/context';
import type { ReconcileMetrics } from '../app/metrics-registry';
import { buildComputeNotification, notificationFingerprint } from '../core/compute-notification';
import { NOTIFY_LEASE } from '../core/leases';
import type { PageserverNode } from '../core/model/node';
import { retryOnConflict } from '../core/retry';

export type NotifyDeps = Pick<AppContext, 'tenants' | 'leases' | 'computeHook'> & {
  /** Lease owner: the request or execution notifying. */
  owner: string;
  metrics?: ReconcileMetrics;
};

export type NotifyOutcome =
  | { status: 'sent' }
  /** Nothing to send: no hook, not every shard placed yet, or the same as last delivered. */
  | { status: 'skipped' }
  | { status: 'failed'; message: string; fatal: boolean };

const LEASE_MS = 60_000;

export async function notifyTenant(
  tenantId: string,
  deps: NotifyDeps,
  // Unused since the notification carries the tenant's preferred AZ rather than a node's; kept so callers need not change.
  _nodes: ReadonlyMap<number, PageserverNode>,
  deadline: number,
  force = false,
): Promise<NotifyOutcome> {
  if (!deps.computeHook) {
    deps.metrics?.computeNotification('skipped');
    return { status: 'skipped' };
  }
  while (!(await deps.leases.acquire(tenantId, NOTIFY_LEASE, deps.owner, LEASE_MS))) {
    if (Date.now() >= deadline)
      return {
        status: 'failed',
        message: 'another notifier held the tenant until the deadline',
        fatal: false,
      };
    await new Promise((r) => setTimeout(r, 25));
  }
  try {
    const whole = await deps.tenants.getTenantWithShards(tenantId);
    const notification = whole ? buildComputeNotification(tenantId, whole.shards) : null;
    if (!whole || !notification) {
      deps.metrics?.computeNotification('skipped');
      return { status: 'skipped' };
    }
    const fingerprint = notificationFingerprint(notification);
    if (!force && whole.tenant.lastComputeNotification === fingerprint) {
      deps.metrics?.computeNotification('skipped');
      return { status: 'skipped' };
    }
    const result = await deps.computeHook.notify(notification, deadline);
    if (!result.ok) {
      deps.metrics?.computeNotification('error');
      // A failed call may still have reached the hook: what it believes is unknown now, so no
      // later notification may be skipped as "already delivered".
      await forgetDelivered(deps, tenantId);
      return {
        status: 'failed',
        message: `compute notification failed${result.fatal ? ' (fatal)' : ''}: ${result.message}`,
        fatal: result.fatal,
      };
    }
    deps.metrics?.computeNotification('ok');
    // Remember what was delivered and clear the owed flags, together, but only if the placement
    // is still the one delivered: a shard moved meanwhile still owes the control plane its news.
    const recorded = await retryOnConflict(async () => {
      const latest = await deps.tenants.getTenantWithShards(tenantId);
      if (!latest) return true;
      if (latest.tenant.lastComputeNotification !== whole.tenant.lastComputeNotification) {
        // Only a notifier without the lease changes this meanwhile: startup's announcements, and
        // theirs may have reached the hook after ours. What the control plane holds is unknown:
        // nothing is remembered as delivered and every shard owes it the placement.
        await deps.tenants.saveShards(
          latest.shards
            .filter((s) => !s.pendingComputeNotification)
            .map((before) => ({ before, after: { ...before, pendingComputeNotification: true } })),
          { before: latest.tenant, after: { ...latest.tenant, lastComputeNotification: null } },
        );
        return false;
      }
      const now = buildComputeNotification(tenantId, latest.shards);
      const current = now !== null && notificationFingerprint(now) === fingerprint;
      const owed = current ? latest.shards.filter((s) => s.pendingComputeNotification) : [];
      await deps.tenants.saveShards(
        owed.map((before) => ({ before, after: { ...before, pendingComputeNotification: false } })),
        { before: latest.tenant, after: { ...latest.tenant, lastComputeNotification: fingerprint } },
      );
      return true;
    });
    // Delivered, but what the control plane holds is not known: the caller must not settle it.
    if (!recorded)
      return {
        status: 'failed',
        message: 'the tenant was written during delivery: announced again later',
        fatal: false,
      };
    return { status: 'sent' };
  } finally {
    await deps.leases.release(tenantId, NOTIFY_LEASE, deps.owner);
  }
}

async function forgetDelivered(deps: NotifyDeps, tenantId: string): Promise<void> {
  await retryOnConflict(async () => {
    const tenant = await deps.tenants.getTenant(tenantId);
    if (!tenant || tenant.lastComputeNotification === null) return;
    await deps.tenants.saveShards([], {
      before: tenant,
      after: { ...tenant, lastComputeNotification: null },
    });
  });
}
