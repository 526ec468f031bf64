// A shard whose policy attaches it but that no node is intended to hold (a node was deleted while
// no other could take it, say) is given a node: preferably one still running it attached (the
// newest generation first), else the scheduler's choice. Startup places such shards in pages;
// reconcile-all places each one it meets before reconciling it, so none stays unattached.
import type { AppContext } from '../app/context';
import type { TenantShardId } from '../core/ids';
import { isAttachedMode } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import type { TenantShard } from '../core/model/tenant-shard';
import { needsPlacement } from '../core/reconcile-plan';
import { ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { updateShard } from './shard-update';

/** The shard placed, or null when it needs no placement or no node can take it (counted). */
export function placed(
  current: TenantShard,
  live: ReadonlySet<number>,
  scheduler: Scheduler,
  onScheduleError: () => void,
): TenantShard | null {
  if (!needsPlacement(current)) return null;
  const holders = Object.entries(current.observed)
    .filter(([n, conf]) => conf && isAttachedMode(conf.mode) && live.has(Number(n)))
    .sort(([, a], [, b]) => (b!.generation ?? 0) - (a!.generation ?? 0));
  let intent = current.intent;
  if (holders.length > 0) {
    const attached = Number(holders[0]![0]);
    intent = { attached, secondary: intent.secondary.filter((n) => n !== attached) };
  }
  try {
    return { ...current, intent: scheduler.schedule({ ...current, intent }).intent };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    onScheduleError();
    return null;
  }
}

/** A scheduler over the nodes, and the ones alive (whose attached locations count as holders). */
export function placementContext(nodes: PageserverNode[]) {
  return {
    live: new Set(nodes.filter((n) => n.availability === 'Active').map((n) => n.id)),
    scheduler: new Scheduler(nodes.map(schedulerNode)),
  };
}

/** Places one shard if it needs it; answers the shard as it is now. */
export async function placeIfUnplaced(
  context: Pick<AppContext, 'tenants' | 'nodes' | 'metrics'>,
  id: TenantShardId,
  known: TenantShard,
): Promise<TenantShard | undefined> {
  const { live, scheduler } = placementContext(await context.nodes.list());
  return updateShard(
    context.tenants,
    id,
    (current) => placed(current, live, scheduler, () => context.metrics.schedulingErrors.inc()),
    known,
  );
}
