// The local stack's start returns with its pageservers Active, as the controller sees them: a
// re-attached node turns Active at its next heartbeat (kicked by the re-attach), moments after
// the pageserver has its answer. Callers (tests above all) then find the fleet settled rather
// than a node's availability about to change under them.
import type { NodeStore } from '../lambdas/core/ports';

export async function waitNodesActive(nodes: NodeStore, ids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const active = new Set((await nodes.list()).filter((n) => n.availability === 'Active').map((n) => n.id));
    if (ids.every((id) => active.has(id))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
