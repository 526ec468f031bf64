// Startup re-announces every placed tenant to the compute hook, after the service is ready and
// within a budget. The fleet is read a page at a time (tenants with their shards, in batches) and
// the hook called for many tenants at once. No lease is taken: once the notifications are
// delivered, the page is read again, and a tenant that changed meanwhile (a notifier may have
// delivered a newer placement before ours arrived) is marked owed, as is one whose delivery
// failed: pending flags on its shards and nothing remembered as delivered, so reconcile-all
// sends its placement again. An unchanged tenant is written only if what it remembers is not
// what was sent. Tenants the budget does not reach are marked owed in bulk (markUnannounced).
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app/context';
import { buildComputeNotification, notificationFingerprint } from '../core/compute-notification';
import { mapLimited } from '../core/concurrency';
import { VersionConflictError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import type { TenantShard } from '../core/model/tenant-shard';
import type { TenantWithShards } from '../core/ports';
import { retryOnConflict } from '../core/retry';

/** Tenants read per page. */
const PAGE = 100;
/** Notifications in flight at once. */
const CONCURRENCY = 32;
/** Tenants marked owed at once. */
const MARK_CONCURRENCY = 16;
/** Pages are not started this close to the end of the time allowed (one takes well under it). */
const PAGE_MARGIN_MS = 3_000;

export interface AnnounceProgress {
  /** Where the next page starts (null: the beginning, unless done). */
  next: string | null;
  /** Epoch ms after which no page is started: the announcements' budget, fixed by the first run. */
  until: number | null;
  notified: number;
  notifyFailed: number;
  /** done: every tenant seen; expired: the budget is over, what is left is owed (markUnannounced). */
  status: 'running' | 'done' | 'expired';
}

type Sent = { read: TenantWithShards; fingerprint: string };

/** Announces pages of tenants from `progress.next` until the budget or `deadline` is near. */
export async function announcePages(
  context: AppContext,
  progress: AnnounceProgress,
  budgetMs: number,
): Promise<AnnounceProgress> {
  const until = progress.until ?? Date.now() + budgetMs;
  const stop = Math.min(until, context.deadline);
  let { next, notified, notifyFailed } = progress;
  const hook = context.computeHook;
  if (!hook) return { ...progress, until, next: null, status: 'done' };
  // The next page is read while this one is delivered (reads only: one read in vain is harmless).
  // Its failure surfaces where it is awaited, not as an unhandled rejection meanwhile.
  const read = (cursor: string | null) => {
    const page = context.tenants.listTenantsWithShards(PAGE, cursor ?? undefined);
    page.catch(() => undefined);
    return page;
  };
  let reading = Date.now() < stop - PAGE_MARGIN_MS ? read(next) : null;
  while (reading) {
    const page = await reading;
    const more = page.next !== undefined && Date.now() < stop - PAGE_MARGIN_MS;
    reading = more ? read(page.next!) : null;
    // Deliveries end early enough for the page to be settled before the task's deadline.
    const outcome = await announcePage(context, page.tenants, stop - PAGE_MARGIN_MS / 2);
    notified += outcome.notified;
    notifyFailed += outcome.failed;
    next = page.next ?? null;
    if (!next) return { next: null, until, notified, notifyFailed, status: 'done' };
    if (Date.now() >= stop - PAGE_MARGIN_MS) break;
  }
  // A page read ahead but not delivered is read again by whoever goes on from `next`.
  // Another run goes on from here while the budget lasts; past it, the rest is left owed.
  const status = Date.now() < until - PAGE_MARGIN_MS ? 'running' : 'expired';
  return { next, until, notified, notifyFailed, status };
}

async function announcePage(
  context: AppContext,
  tenants: TenantWithShards[],
  deadline: number,
): Promise<{ notified: number; failed: number }> {
  const hook = context.computeHook!;
  const metrics = context.metrics.reconcileMetrics();
  const sent: Sent[] = [];
  const owed: string[] = [];
  await mapLimited(tenants, CONCURRENCY, async (read) => {
    const notification = buildComputeNotification(read.tenant.tenantId, read.shards);
    if (!notification) return; // not placed yet: its reconcile announces it
    const result = await hook.notify(notification, deadline);
    metrics.computeNotification(result.ok ? 'ok' : 'error');
    if (result.ok) sent.push({ read, fingerprint: notificationFingerprint(notification) });
    else owed.push(read.tenant.tenantId);
  });
  const failed = owed.length;
  // The shards read again after delivery: a tenant whose placement changed since the first read
  // may have been announced by someone else before ours arrived, so the control plane may now
  // hold the older placement. Only what the announcement says counts: a shard written meanwhile
  // in the same placement (a re-attach's new generation, as a whole-fleet restart writes for
  // every shard while this runs) leaves what we delivered true. (A tenant item written meanwhile
  // fails the conditional write below, and a leased notifier finding ours written leaves the
  // tenant owed itself.)
  const now = new Map(
    (await context.tenants.getShards(sent.flatMap((s) => s.read.shards.map((x) => x.id)))).map((x) => [
      formatTenantShardId(x.id),
      x,
    ]),
  );
  await mapLimited(sent, 8, async ({ read, fingerprint }) => {
    const latest = read.shards.map((x) => now.get(formatTenantShardId(x.id)));
    if (latest.some((x) => !x)) return void owed.push(read.tenant.tenantId);
    const current = buildComputeNotification(read.tenant.tenantId, latest as TenantShard[]);
    if (!current || notificationFingerprint(current) !== fingerprint)
      return void owed.push(read.tenant.tenantId);
    // Remembered already: nothing to write. (Owed flags stay: a reconcile settles them without
    // sending again. Every write here changes what is remembered, which is how a leased notifier
    // delivering meanwhile tells that we wrote.)
    if (read.tenant.lastComputeNotification === fingerprint) return;
    const pending = read.shards.filter((x) => x.pendingComputeNotification);
    try {
      // Conditioned on the versions first read: a write in between fails it, and the tenant is owed.
      await context.tenants.saveShards(
        pending.map((before) => ({ before, after: { ...before, pendingComputeNotification: false } })),
        { before: read.tenant, after: { ...read.tenant, lastComputeNotification: fingerprint } },
      );
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      owed.push(read.tenant.tenantId);
    }
  });
  await mapLimited(owed, 8, (tenantId) => markOwed(context, tenantId));
  return { notified: sent.length, failed };
}

/**
 * The tenant owes the control plane its placement: every shard pending (so reconcile-all visits
 * it) and, as remembered delivery, a mark no notification has (so the next one is not skipped as
 * a repeat) and no earlier reader saw (so a leased notifier delivering meanwhile tells it changed).
 */
export async function markOwed(context: Pick<AppContext, 'tenants'>, tenantId: string): Promise<void> {
  await retryOnConflict(async () => {
    const latest = await context.tenants.getTenantWithShards(tenantId);
    if (!latest) return;
    await writeOwed(context, latest);
  }, 20);
}

async function writeOwed(context: Pick<AppContext, 'tenants'>, latest: TenantWithShards): Promise<void> {
  const owed = latest.shards.filter((s) => !s.pendingComputeNotification);
  await context.tenants.saveShards(
    owed.map((before) => ({ before, after: { ...before, pendingComputeNotification: true } })),
    { before: latest.tenant, after: { ...latest.tenant, lastComputeNotification: `owed:${randomUUID()}` } },
  );
}

/**
 * What the announcements' budget did not reach, from `from` on (null: the beginning), marked owed
 * a page at a time (reconcile-all announces them), until the task's deadline is near.
 */
export async function markUnannounced(
  context: AppContext,
  from: string | null,
): Promise<{ next: string | null; marked: number; done: boolean }> {
  let marked = 0;
  let cursor = from;
  do {
    const page = await context.tenants.listTenantsWithShards(PAGE, cursor ?? undefined);
    // A few tenants at a time, so that the task stops by its deadline within a page too: the
    // cursor is the last tenant marked (tenants are listed after a given id).
    for (let i = 0; i < page.tenants.length; i += MARK_CONCURRENCY) {
      if (Date.now() >= context.deadline - PAGE_MARGIN_MS) return { next: cursor, marked, done: false };
      const chunk = page.tenants.slice(i, i + MARK_CONCURRENCY);
      await mapLimited(chunk, MARK_CONCURRENCY, async (whole) => {
        // Written from the page as read; a lost race re-reads that one tenant.
        try {
          await writeOwed(context, whole);
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          await markOwed(context, whole.tenant.tenantId);
        }
      });
      marked += chunk.length;
      cursor = chunk.at(-1)!.tenant.tenantId;
    }
    if (!page.next) return { next: null, marked, done: true };
    cursor = page.next;
  } while (Date.now() < context.deadline - PAGE_MARGIN_MS);
  return { next: cursor, marked, done: false };
}
