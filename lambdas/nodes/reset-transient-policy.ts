// D6: a pageserver that re-attaches has restarted, so a drain's PauseForRestart (or a drain or
// fill it interrupted) is over: the node is Active again. A running drain or fill sees the change
// at its next round and ends without touching the policy. Deleting is left alone: a graceful
// delete goes on.
import { TRANSIENT_POLICIES } from '../core/model/node-operation';
import type { NodeStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

export function resetTransientPolicy(nodes: NodeStore, id: number): Promise<void> {
  return retryOnConflict(async () => {
    const node = await nodes.get(id);
    if (node && TRANSIENT_POLICIES.includes(node.scheduling))
      await nodes.update(node.id, node.version, { scheduling: 'Active' });
  });
}
