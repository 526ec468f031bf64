// Startup reconciliation: learn what every pageserver actually holds, mark the silent ones
// Offline (moving their shards), record observed state, re-announce every stably attached
// tenant to the control plane, and detach locations nobody knows. Run when the local stack
// starts, after each deploy, and on demand.

import { randomUUID } from 'node:crypto';
import { type AppContext, within } from '../../app/context';
import { forEachLimited } from '../../core/concurrency';
import { PageserverError } from '../../core/errors';
import { formatTenantShardId, parseTenantShardId, type TenantShardId } from '../../core/ids';
import { detachConf, isAttachedMode, type LocationConfig } from '../../core/model/location-config';
import type { PageserverNode } from '../../core/model/node';
import { retryOnConflict } from '../../core/retry';
import { ScheduleError, Scheduler, schedulerNode } from '../../core/scheduler';
import { evacuateNode } from '../../nodes/node-availability';
import { setAvailability } from '../../nodes/set-availability';
import { markNotificationPending } from '../../notifications/mark-pending';
import { notifyTenant } from '../../notifications/notify-tenant';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { sendLocationConfig } from '../../reconciler/send-location-config';
import { allTenants } from '../../tenants/all-tenants';
import { recoverInterruptedSplit } from '../shard-split/recover';

export interface StartupResult {
  responsive: number[];
  offline: number[];
  /** Locations held by pageservers for shards the controller does not know. */
  unknown: Array<{ shard: string; node: number }>;
  notified: number;
  notifyFailed: number;
}

/** What a node's listing gave: its locations, `null` (no answer), or 'refused' (an HTTP error). */
export type ScanReport = Array<[string, LocationConfig | null]> | null | 'refused';

/** A silent node is asked again after this pause, for as long as the scan's deadline allows. */
const SCAN_RETRY_PAUSE_MS = 500;

/**
 * Step 1: list every node's locations concurrently. Only a node silent for the whole `timeoutMs`
 * counts as silent: one restarting, or whose answer was lost, must not be marked Offline (its
 * shards would be attached elsewhere while it still holds them).
 */
export async function scanNodes(
  context: AppContext,
  nodes: PageserverNode[],
  timeoutMs: number,
): Promise<Map<number, ScanReport>> {
  const deadline = within(context, timeoutMs);
  const results = await Promise.all(
    nodes.map(async (node): Promise<readonly [number, ScanReport]> => {
      for (;;) {
        const remaining = deadline - Date.now();
        try {
          return [
            node.id,
            await context.pageservers.listLocationConfigs(node, Math.max(1, remaining)),
          ] as const;
        } catch (error) {
          // A node that answers, even with an error, is alive: only silence makes it Offline.
          if (error instanceof PageserverError && error.status !== null) return [node.id, 'refused'] as const;
          if (deadline - Date.now() < SCAN_RETRY_PAUSE_MS * 2) return [node.id, null] as const;
          await new Promise((r) => setTimeout(r, SCAN_RETRY_PAUSE_MS));
        }
      }
    }),
  );
  return new Map(results);
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
    if (reports === null) {
      result.offline.push(nodeId);
      await setAvailability(context.nodes, nodeId, 'Offline');
      await evacuateNode(context, nodeId);
      continue;
    }
    result.responsive.push(nodeId);
    await setAvailability(context.nodes, nodeId, 'Active');
    // Alive but its listing failed: what it holds stays as last observed (reconciles converge it).
    if (reports === 'refused') continue;
    const key = String(nodeId);
    const reported = new Map<string, LocationConfig | null>(reports);
    const ids = new Map<string, TenantShardId>();
    for (const shard of reported.keys()) ids.set(shard, parseTenantShardId(shard));
    for (const m of await context.tenants.nodeMemberships(nodeId)) {
      if (m.observed) ids.set(formatTenantShardId(m.id), m.id);
    }
    await forEachLimited([...ids], 16, async ([text, id]) => {
      await retryOnConflict(async () => {
        const shard = await context.tenants.getShard(id);
        if (!shard) {
          if (reported.has(text)) result.unknown.push({ shard: text, node: nodeId });
          return;
        }
        const observed = { ...shard.observed };
        if (reported.has(text)) observed[key] = reported.get(text) ?? null;
        else delete observed[key];
        if (JSON.stringify(observed) === JSON.stringify(shard.observed)) return;
        await context.tenants.saveShards([{ before: shard, after: { ...shard, observed } }]);
      }, 20);
    });
  }
  return result;
}

/**
 * Step 3: shards that should be attached but have no attached node (a node was dropped, say)
 * get one: the live node that reports it attached in the newest generation, else a scheduled one.
 */
export async function placeUnplaced(context: AppContext): Promise<number> {
  let placed = 0;
  const owner = `startup-${randomUUID()}`;
  for (const { tenant, shards } of await allTenants(context.tenants)) {
    if (shards.some((s) => s.splitting)) {
      // A split cut short by a crash: abort it now (its execution is gone) so the tenant works.
      await recoverInterruptedSplit(context, tenant.tenantId, owner).catch((error: Error) =>
        context.log.warn('could not recover an interrupted split', {
          tenant: tenant.tenantId,
          error: error.message,
        }),
      );
      continue;
    }
    for (const shard of shards) {
      if (shard.intent.attached !== null || shard.policy.kind !== 'Attached' || shard.splitting) continue;
      await retryOnConflict(async () => {
        const current = (await context.tenants.getShard(shard.id))!;
        if (current.intent.attached !== null) return;
        const nodes = await context.nodes.list();
        const live = new Set(nodes.filter((n) => n.availability === 'Active').map((n) => n.id));
        const holders = Object.entries(current.observed)
          .filter(([n, conf]) => conf && isAttachedMode(conf.mode) && live.has(Number(n)))
          .sort(([, a], [, b]) => (b!.generation ?? 0) - (a!.generation ?? 0));
        let intent = current.intent;
        if (holders.length > 0) {
          const attached = Number(holders[0]![0]);
          intent = { attached, secondary: intent.secondary.filter((n) => n !== attached) };
        }
        try {
          intent = new Scheduler(nodes.map(schedulerNode)).schedule({ ...current, intent }).intent;
        } catch (error) {
          if (!(error instanceof ScheduleError)) throw error;
          context.metrics.schedulingErrors.inc();
          return;
        }
        await context.tenants.saveShards([{ before: current, after: { ...current, intent } }]);
        placed += 1;
      }, 20);
    }
  }
  return placed;
}

/** Step 4: announce every stably attached tenant; failures leave the pending flag for reconcile-all. */
export async function notifyAll(
  context: AppContext,
  owner: string,
  deadline: number,
): Promise<Pick<StartupResult, 'notified' | 'notifyFailed'>> {
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  let notified = 0;
  let notifyFailed = 0;
  const deps = reconcileDeps(context, owner);
  await forEachLimited(await allTenants(context.tenants), 32, async ({ tenant, shards }) => {
    const attached = shards.some(
      (s) =>
        s.intent.attached !== null &&
        isAttachedMode(s.observed[String(s.intent.attached)]?.mode ?? 'Detached'),
    );
    if (!attached) return;
    const outcome = await notifyTenant(tenant.tenantId, deps, nodes, deadline, true);
    if (outcome.status === 'sent') notified += 1;
    if (outcome.status !== 'failed') return;
    notifyFailed += 1;
    await markNotificationPending(context.tenants, tenant.tenantId);
  });
  return { notified, notifyFailed };
}

/** Step 4: detach locations the controller does not know (best effort). */
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
