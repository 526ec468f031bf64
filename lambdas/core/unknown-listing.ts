// Whether reconcile-all lists a pageserver's locations this pass, looking for ones the controller
// does not know (reconciler/unknown-locations.ts). Listing every node every pass costs about 2 s
// at 96 000 shards, on passes that otherwise take a few milliseconds. A location the controller
// does not know raises the count of locations the node reports in its heartbeats above the count
// of shards intended there, so a node whose last heartbeat reported exactly its intended count
// is skipped, and every node is listed at least every FULL_LISTING_EVERY_MS whatever it reports
// (an unknown location and a lost one on the same node would leave the count as intended).
import type { PageserverNode } from './model/node';

export const FULL_LISTING_EVERY_MS = 5 * 60_000;

export function mustList(
  node: Pick<PageserverNode, 'attachedCount' | 'secondaryCount' | 'utilization' | 'unresponsiveSince'>,
  lastListedAt: number | undefined,
  now: number,
): boolean {
  if (lastListedAt === undefined || now - lastListedAt >= FULL_LISTING_EVERY_MS) return true;
  // Its last heartbeat failed: what it reported may be older than what it holds.
  if (node.unresponsiveSince !== null) return true;
  const reported = node.utilization?.shard_count;
  return reported === undefined || reported !== node.attachedCount + node.secondaryCount;
}
