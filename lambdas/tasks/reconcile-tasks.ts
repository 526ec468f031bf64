// Tasks of reconcile-all and startup reconciliation.
import { logger } from '../adapters/logger';
import type { Services } from '../api/services';
import { reconcileDeps } from '../api/services';
import { formatTenantShardId, parseTenantShardId } from '../core/ids';
import { TransientError } from '../core/task-errors';
import { reconcileShard } from '../operations/reconcile-shard';
import {
  applyScan,
  cleanupUnknown,
  notifyAll,
  placeUnplaced,
  scanNodes,
} from '../operations/startup-reconcile';

/** Page size of the dirty index: keeps each Map's input far below Step Functions' 256 KiB. */
const DIRTY_PAGE = 100;

export const reconcileTasks = {
  ListDirty: async (input: { cursor?: string | null }, services: Services) => {
    const page = await services.tenants.listDirty(DIRTY_PAGE, input.cursor ?? undefined);
    return { ids: page.ids.map(formatTenantShardId), next: page.next ?? null };
  },
  /** A failed reconcile leaves the shard dirty for the next pass; it does not fail the pass. */
  ReconcileShard: async (input: { shard: string; execution: string }, services: Services) => {
    const outcome = await reconcileShard(
      parseTenantShardId(input.shard),
      reconcileDeps(services, input.execution),
      Date.now() + 50_000,
    );
    // On Lambda, one structured line per reconcile: a CloudWatch metric filter counts the errors.
    if (process.env.AWS_LAMBDA_FUNCTION_NAME)
      logger.info('reconcile', { shard: input.shard, status: outcome.status });
    return { shard: input.shard, status: outcome.status };
  },
  ListNodes: async (_input: unknown, services: Services) => ({
    nodes: (await services.nodes.list()).map((n) => n.id),
  }),
  /** Lists one node's locations (5 s) and applies what it found; a silent node is marked Offline. */
  ScanNode: async (input: { node: number }, services: Services) => {
    const node = await services.nodes.get(input.node);
    if (!node) return { node: input.node, responsive: false, unknown: [] };
    const scan = await scanNodes(services, [node], 5_000);
    const result = await applyScan(services, scan);
    return { node: input.node, responsive: result.responsive.length > 0, unknown: result.unknown };
  },
  PlaceUnplaced: async (_input: unknown, services: Services) => ({ placed: await placeUnplaced(services) }),
  NotifyAll: async (input: { execution: string; deadline_seconds: number }, services: Services) =>
    notifyAll(services, input.execution, Date.now() + input.deadline_seconds * 1000),
  StartCleanup: async (
    input: { scanned: Array<{ unknown?: Array<{ shard: string; node: number }> }>; execution: string },
    services: Services,
  ) => {
    const unknown = input.scanned.flatMap((s) => s.unknown ?? []);
    if (unknown.length === 0) return { started: null };
    const { id } = await services.workflows.start(
      'startup-cleanup',
      `cleanup-${input.execution}`.slice(0, 80),
      { unknown },
    );
    return { started: id };
  },
  DetachUnknown: async (input: { shard: string; node: number }, services: Services) => {
    if ((await cleanupUnknown(services, [input])) === 0) {
      // Either known after all, or the node did not answer: try again, then give up (next startup retries).
      const id = parseTenantShardId(input.shard);
      if (!(await services.tenants.getShard(id)))
        throw new TransientError(`could not detach ${input.shard} from node ${input.node}`);
    }
    return null;
  },
  MarkReady: async (input: { epoch: string }, services: Services) => {
    // On AWS nothing begins a startup but the deploy trigger's execution itself.
    if ((await services.meta.get()).startupEpoch === null) await services.meta.beginStartup(input.epoch);
    await services.meta.markReady(input.epoch);
    return null;
  },
};
