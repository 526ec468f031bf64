// Startup reconciliation: learn what every pageserver actually holds, mark the silent ones
// Offline (moving their shards), record observed state, re-announce every stably attached
// tenant to the control plane, and detach locations nobody knows. Run when the local stack
// starts, after each deploy, and on demand.
import type { Services } from '../api/services';
import { formatTenantShardId, parseTenantShardId, type TenantShardId } from '../core/ids';
import { detachConf, isAttachedMode, type LocationConfig } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { retryOnConflict } from '../core/retry';
import { ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { allTenants } from './all-tenants';
import { evacuateNode } from './node-availability';
import { notifyTenant } from './notify-compute';
import { forEachLimited } from './shard-pool';

export interface StartupOptions {
  /** Per-node listing timeout (ms). */
  scanTimeoutMs?: number;
  /** When compute notifications must be done by (epoch ms). */
  notifyDeadline: number;
  owner: string;
}

export interface StartupResult {
  responsive: number[];
  offline: number[];
  /** Locations held by pageservers for shards the controller does not know. */
  unknown: Array<{ shard: string; node: number }>;
  notified: number;
  notifyFailed: number;
}

/** Step 1: list every node's locations concurrently; null for a node that did not answer. */
export async function scanNodes(
  services: Services,
  nodes: PageserverNode[],
  timeoutMs: number,
): Promise<Map<number, Array<[string, LocationConfig | null]> | null>> {
  const results = await Promise.all(
    nodes.map(async (node) => {
      try {
        return [node.id, await services.pageservers.listLocationConfigs(node, timeoutMs)] as const;
      } catch {
        return [node.id, null] as const;
      }
    }),
  );
  return new Map(results);
}

/** Step 2: availability from the scan, and observed state merged per node (every node's report counts). */
export async function applyScan(
  services: Services,
  scan: Map<number, Array<[string, LocationConfig | null]> | null>,
): Promise<Pick<StartupResult, 'responsive' | 'offline' | 'unknown'>> {
  const result: Pick<StartupResult, 'responsive' | 'offline' | 'unknown'> = {
    responsive: [],
    offline: [],
    unknown: [],
  };
  for (const [nodeId, reports] of scan) {
    const node = await services.nodes.get(nodeId);
    if (!node) continue;
    if (reports === null) {
      result.offline.push(nodeId);
      if (node.availability !== 'Offline') {
        await retryOnConflict(async () => {
          const n = (await services.nodes.get(nodeId))!;
          await services.nodes.update(n.id, n.version, { availability: 'Offline' });
        });
      }
      await evacuateNode(services, nodeId);
      continue;
    }
    result.responsive.push(nodeId);
    if (node.availability !== 'Active') {
      await retryOnConflict(async () => {
        const n = (await services.nodes.get(nodeId))!;
        await services.nodes.update(n.id, n.version, { availability: 'Active' });
      });
    }
    const key = String(nodeId);
    const reported = new Map<string, LocationConfig | null>(reports);
    const ids = new Map<string, TenantShardId>();
    for (const shard of reported.keys()) ids.set(shard, parseTenantShardId(shard));
    for (const m of await services.tenants.nodeMemberships(nodeId)) {
      if (m.observed) ids.set(formatTenantShardId(m.id), m.id);
    }
    await forEachLimited([...ids], 16, async ([text, id]) => {
      await retryOnConflict(async () => {
        const shard = await services.tenants.getShard(id);
        if (!shard) {
          if (reported.has(text)) result.unknown.push({ shard: text, node: nodeId });
          return;
        }
        const observed = { ...shard.observed };
        if (reported.has(text)) observed[key] = reported.get(text) ?? null;
        else delete observed[key];
        if (JSON.stringify(observed) === JSON.stringify(shard.observed)) return;
        await services.tenants.saveShards([{ before: shard, after: { ...shard, observed } }]);
      }, 20);
    });
  }
  return result;
}

/**
 * Step 3: shards that should be attached but have no attached node (a node was dropped, say)
 * get one: the live node that reports it attached in the newest generation, else a scheduled one.
 */
export async function placeUnplaced(services: Services): Promise<number> {
  let placed = 0;
  for (const { shards } of await allTenants(services.tenants)) {
    for (const shard of shards) {
      if (shard.intent.attached !== null || shard.policy.kind !== 'Attached' || shard.splitting) continue;
      await retryOnConflict(async () => {
        const current = (await services.tenants.getShard(shard.id))!;
        if (current.intent.attached !== null) return;
        const nodes = await services.nodes.list();
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
          services.metrics.schedulingErrors.inc();
          return;
        }
        await services.tenants.saveShards([{ before: current, after: { ...current, intent } }]);
        placed += 1;
      }, 20);
    }
  }
  return placed;
}

/** Step 4: announce every stably attached tenant; failures leave the pending flag for reconcile-all. */
export async function notifyAll(
  services: Services,
  owner: string,
  deadline: number,
): Promise<Pick<StartupResult, 'notified' | 'notifyFailed'>> {
  const nodes = new Map((await services.nodes.list()).map((n) => [n.id, n]));
  let notified = 0;
  let notifyFailed = 0;
  const deps = { ...services, owner, metrics: services.metrics.reconcileMetrics() };
  await forEachLimited(await allTenants(services.tenants), 32, async ({ tenant, shards }) => {
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
    await retryOnConflict(async () => {
      const latest = await services.tenants.getTenantWithShards(tenant.tenantId);
      if (!latest) return;
      await services.tenants.saveShards(
        latest.shards
          .filter((s) => !s.pendingComputeNotification)
          .map((before) => ({ before, after: { ...before, pendingComputeNotification: true } })),
      );
    });
  });
  return { notified, notifyFailed };
}

/** Step 4: detach locations the controller does not know (best effort). */
export async function cleanupUnknown(services: Services, unknown: StartupResult['unknown']): Promise<number> {
  let detached = 0;
  for (const { shard, node: nodeId } of unknown) {
    const node = await services.nodes.get(nodeId);
    if (!node) continue;
    const id = parseTenantShardId(shard);
    if (await services.tenants.getShard(id)) continue;
    try {
      await services.pageservers.putLocationConfig(
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

export async function startupReconcile(services: Services, options: StartupOptions): Promise<StartupResult> {
  const nodes = await services.nodes.list();
  const scan = await scanNodes(services, nodes, options.scanTimeoutMs ?? 5_000);
  const applied = await applyScan(services, scan);
  await placeUnplaced(services);
  const notified = await notifyAll(services, options.owner, options.notifyDeadline);
  await cleanupUnknown(services, applied.unknown);
  return { ...applied, ...notified };
}
