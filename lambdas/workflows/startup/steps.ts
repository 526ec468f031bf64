// Startup reconciliation: learn what every pageserver actually holds, mark the silent ones
// Offline (moving their shards), record observed state, place what has no node, then (ready by
// now) re-announce every stably attached tenant to the control plane (notifications/
// announce-all.ts) and detach locations nobody knows. Run when the local stack starts, after each
// deploy, and on demand. Every step reads and writes shards in pages, not one by one.

import { randomUUID } from 'node:crypto';
import { type AppContext, within } from '../../app/context';
import { PageserverError } from '../../core/errors';
import { formatTenantShardId, parseTenantShardId, type TenantShardId } from '../../core/ids';
import { detachConf, isAttachedMode, type LocationConfig } from '../../core/model/location-config';
import type { PageserverNode } from '../../core/model/node';
import { sameObserved, type TenantShard } from '../../core/model/tenant-shard';
import { needsPlacement } from '../../core/reconcile-plan';
import { evacuateNode } from '../../nodes/node-availability';
import { setAvailability } from '../../nodes/set-availability';
import { placed, placementContext } from '../../reconciler/place-unplaced';
import { sendLocationConfig } from '../../reconciler/send-location-config';
import { updateReadShards, updateShardsInPages } from '../../reconciler/shard-update';
import { recoverInterruptedSplit } from '../shard-split/recover';

export interface StartupResult {
  responsive: number[];
  offline: number[];
  /** Locations held by pageservers for shards the controller does not know. */
  unknown: Array<{ shard: string; node: number }>;
  notified: number;
  notifyFailed: number;
}

/**
 * What a node's listing gave: its locations, `null` (no answer), 'refused' (an HTTP error), or
 * 'warming' (silent while it re-attaches: the re-attach answer sets what it holds).
 */
export type ScanReport = Array<[string, LocationConfig | null]> | null | 'refused' | 'warming';

/** A silent node is asked again after this pause, for as long as the scan's deadline allows. */
const SCAN_RETRY_PAUSE_MS = 500;
/** Shards of a listing applied between two checks that the node has not begun re-attaching. */
const APPLY_CHECK_EVERY = 500;
/** A node found re-attaching is asked this long at most (it may be serving already). */
const WARMING_LISTING_MS = 1_000;
/** While a node's listing fails, whether it began re-attaching meanwhile is read this often. */
const RE_ATTACH_POLL_MS = 500;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Step 1: list every node's locations concurrently. Only a node silent for the whole `timeoutMs`
 * counts as silent: one restarting, or whose answer was lost, must not be marked Offline (its
 * shards would be attached elsewhere while it still holds them).
 *
 * A node re-attaching (WarmingUp) is not waited for: a pageserver serves no tenant until its
 * re-attach is answered (a listing it gives meanwhile comes from its disk, older than the answer),
 * and that answer, written before it is sent, records what it holds. So a whole-fleet restart
 * does not hold readiness until every re-attach is done (thousands of shards each), nor is a
 * re-attaching node marked Offline or Active here: heartbeats decide from there.
 */
export async function scanNodes(
  context: AppContext,
  nodes: PageserverNode[],
  timeoutMs: number,
): Promise<Map<number, ScanReport>> {
  const deadline = within(context, timeoutMs);
  const results = await Promise.all(
    nodes.map(async (node): Promise<readonly [number, ScanReport]> => {
      if (node.availability === 'WarmingUp') {
        const until = Math.min(deadline, Date.now() + WARMING_LISTING_MS);
        const { report } = await listOnce(context, node, until);
        return [node.id, Array.isArray(report) ? report : 'warming'];
      }
      const watch = watchReAttach(context, node.id, deadline);
      try {
        const report = await Promise.race([
          listUntil(context, node, deadline),
          watch.seen.then((seen) => (seen ? ('warming' as const) : new Promise<never>(() => undefined))),
        ]);
        return [node.id, report];
      } finally {
        watch.stop();
      }
    }),
  );
  return new Map(results);
}

/**
 * One listing: its locations, or what failing it said ('refused': an HTTP error; null: silence),
 * and whether asking again may help (silence, or a transient error such as a 503 while starting).
 */
async function listOnce(
  context: AppContext,
  node: PageserverNode,
  until: number,
): Promise<{ report: ScanReport; again: boolean }> {
  try {
    return {
      report: await context.pageservers.listLocationConfigs(node, Math.max(1, until - Date.now())),
      again: false,
    };
  } catch (error) {
    // A node that answers, even with an error, is alive: only silence makes it Offline.
    if (error instanceof PageserverError && error.status !== null)
      return { report: 'refused', again: error.transient };
    return { report: null, again: true };
  }
}

/** Listings until one answers for good or the deadline: a silent or starting node is asked again. */
async function listUntil(context: AppContext, node: PageserverNode, deadline: number): Promise<ScanReport> {
  for (;;) {
    const { report, again } = await listOnce(context, node, deadline);
    if (!again || deadline - Date.now() < SCAN_RETRY_PAUSE_MS * 2) return report;
    await pause(SCAN_RETRY_PAUSE_MS);
  }
}

/** Resolves true once the node is WarmingUp (its pageserver called re-attach), false at the deadline or stop(). */
function watchReAttach(context: AppContext, nodeId: number, deadline: number) {
  let stopped = false;
  const seen = (async () => {
    while (!stopped && Date.now() < deadline) {
      await pause(RE_ATTACH_POLL_MS);
      if (stopped) return false;
      const node = await context.nodes.get(nodeId).catch(() => undefined);
      if (node?.availability === 'WarmingUp') return true;
    }
    return false;
  })();
  return {
    seen,
    stop: () => {
      stopped = true;
    },
  };
}

/** Step 2: availability from the scan, and observed state merged per node (every node's report counts). */
export async function applyScan(
  context: AppContext,
  scan: Map<number, ScanReport>,
): Promise<Pick<StartupResult, 'responsive' | 'offline' | 'unknown'>> {
  const result: Pick<StartupResult, 'responsive' | 'offline' | 'unknown'> = {
    responsive: [],
    offline: [],
    unknown: [],
  };
  for (const [nodeId, reports] of scan) {
    const node = await context.nodes.get(nodeId);
    if (!node) continue;
    // Silent because it began re-attaching at the end of the scan: not Offline (see scanNodes).
    if (reports === null && node.availability !== 'WarmingUp') {
      result.offline.push(nodeId);
      await setAvailability(context.nodes, nodeId, 'Offline');
      await evacuateNode(context, nodeId);
      continue;
    }
    result.responsive.push(nodeId);
    // Re-attaching now: its re-attach answer records what it holds, and a listing taken before
    // that answer landed (from its disk, in the old generations) would overwrite it with the past.
    if (reports === null || reports === 'warming' || node.availability === 'WarmingUp') continue;
    await setAvailability(context.nodes, nodeId, 'Active');
    // Alive but its listing failed: what it holds stays as last observed (reconciles converge it).
    if (reports === 'refused') continue;
    const key = String(nodeId);
    // By the canonical id (the report's own text is what an unknown location is reported as).
    const reported = new Map<string, { text: string; conf: LocationConfig | null }>();
    for (const [text, conf] of reports)
      reported.set(formatTenantShardId(parseTenantShardId(text)), { text, conf });
    const ids = new Map<string, TenantShardId>();
    for (const text of reported.keys()) ids.set(text, parseTenantShardId(text));
    for (const m of await context.tenants.nodeMemberships(nodeId)) {
      if (m.observed) ids.set(formatTenantShardId(m.id), m.id);
    }
    const all = [...ids.values()];
    const missing: TenantShardId[] = [];
    for (let from = 0; from < all.length; from += APPLY_CHECK_EVERY) {
      // Its pageserver began re-attaching meanwhile: the rest is the re-attach answer's to record.
      if (from > 0 && (await context.nodes.get(nodeId))?.availability === 'WarmingUp') break;
      const part = all.slice(from, from + APPLY_CHECK_EVERY);
      missing.push(
        ...(await updateShardsInPages(context.tenants, part, (shard) => {
          const report = reported.get(formatTenantShardId(shard.id));
          if (report && olderAttachment(report.conf, shard.observed[key])) return null;
          const observed = { ...shard.observed };
          if (report) observed[key] = report.conf;
          else delete observed[key];
          return sameObserved(observed, shard.observed) ? null : { ...shard, observed };
        })),
      );
    }
    for (const id of missing) {
      const report = reported.get(formatTenantShardId(id));
      if (report) result.unknown.push({ shard: report.text, node: nodeId });
    }
  }
  return result;
}

/**
 * A listed attachment in an older generation than the one recorded there: the listing predates
 * the recording (a re-attach answer written after it), since no pageserver is ever sent an older
 * generation than one it was given. Recording it would undo what is known.
 */
function olderAttachment(
  listed: LocationConfig | null,
  recorded: LocationConfig | null | undefined,
): boolean {
  if (!listed || !recorded || !isAttachedMode(listed.mode) || !isAttachedMode(recorded.mode)) return false;
  return (listed.generation ?? 0) < (recorded.generation ?? 0);
}

/** Unsettled shards read per page. */
const PLACE_PAGE = 100;
/** A page is not started this close to the task's deadline. */
const PAGE_MARGIN_MS = 3_000;

/**
 * Step 3: shards that should be attached but have no attached node (a node was dropped, say)
 * get one: the live node that reports it attached in the newest generation, else a scheduled one.
 * Only the sparse index is read (such shards, and splits in progress, are kept there), a page at
 * a time from `cursor`, until the deadline is near; returns where to go on (null: done).
 */
export async function placeUnplaced(
  context: AppContext,
  cursor: string | null,
): Promise<{ placed: number; next: string | null }> {
  const owner = `startup-${randomUUID()}`;
  // One scheduler for the pass: it tracks the placements it makes, so they spread.
  const { live, scheduler } = placementContext(await context.nodes.list());
  const place = (current: TenantShard) =>
    placed(current, live, scheduler, () => context.metrics.schedulingErrors.inc());
  let count = 0;
  let next = cursor;
  do {
    const page = await context.tenants.listUnsettled(PLACE_PAGE, next ?? undefined);
    const shards = await context.tenants.getShards(page.ids);
    const splitting = new Set(shards.filter((s) => s.splitting).map((s) => s.id.tenantId));
    const unplaced = shards.filter((s) => needsPlacement(s) && !splitting.has(s.id.tenantId));
    await updateReadShards(context.tenants, unplaced, place, () => {
      count += 1;
    });
    // A split cut short by a crash: abort it now (its execution is gone) so the tenant works.
    // Each may take seconds; those time does not allow are left to reconcile-all, which does the
    // same for every split it finds.
    for (const tenantId of splitting) {
      if (Date.now() >= context.deadline - PAGE_MARGIN_MS) break;
      await recoverInterruptedSplit(context, tenantId, owner).catch((error: Error) =>
        context.log.warn('could not recover an interrupted split', {
          tenant: tenantId,
          error: error.message,
        }),
      );
    }
    next = page.next ?? null;
  } while (next !== null && Date.now() < context.deadline - PAGE_MARGIN_MS);
  return { placed: count, next };
}

/** Step 5: detach locations the controller does not know (best effort). */
export async function cleanupUnknown(
  context: AppContext,
  unknown: StartupResult['unknown'],
): Promise<number> {
  let detached = 0;
  for (const { shard, node: nodeId } of unknown) {
    const node = await context.nodes.get(nodeId);
    if (!node) continue;
    const id = parseTenantShardId(shard);
    if (await context.tenants.getShard(id)) continue;
    try {
      await sendLocationConfig(
        context,
        node,
        id,
        detachConf({ number: id.number, count: id.count, stripeSize: 0 }, {}),
      );
      detached += 1;
    } catch {
      // left for the next startup
    }
  }
  return detached;
}
