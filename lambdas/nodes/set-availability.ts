// A node's availability as one conditional write, retried from a fresh read on a lost race.
import type { NodeAvailability, PageserverNode } from '../core/model/node';
import type { NodeStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

/** No write when the node already has it; undefined when the node is not registered. */
export function setAvailability(
  nodes: NodeStore,
  id: number,
  availability: NodeAvailability,
): Promise<PageserverNode | undefined> {
  return retryOnConflict(async () => {
    const node = await nodes.get(id);
    if (!node || node.availability === availability) return node;
    // A new availability starts afresh: no warm-up, no heartbeat failures counted so far.
    return nodes.update(node.id, node.version, {
      availability,
      warmingUpSince: null,
      unresponsiveSince: null,
    });
  });
}

/**
 * A re-attaching node is WarmingUp from `now`: not schedulable, and given the warm-up interval
 * before heartbeat failures count (it answers no HTTP until it has loaded the re-attach answer).
 * Undefined when the node is not registered.
 */
export function startWarmUp(nodes: NodeStore, id: number, now: number): Promise<PageserverNode | undefined> {
  return retryOnConflict(async () => {
    const node = await nodes.get(id);
    if (!node) return undefined;
    return nodes.update(node.id, node.version, {
      availability: 'WarmingUp',
      warmingUpSince: now,
      unresponsiveSince: null,
    });
  });
}
