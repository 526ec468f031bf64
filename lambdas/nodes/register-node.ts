import { decideRegistration, type NodeRegistration, newNode } from '../core/model/node';
import type { NodeStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

/** Registers a pageserver: idempotent for the same addresses, 409 for different ones. */
export async function registerNode(nodes: NodeStore, registration: NodeRegistration): Promise<void> {
  await retryOnConflict(async () => {
    const existing = await nodes.get(registration.id);
    const decision = decideRegistration(existing, registration);
    if (decision.kind === 'create') await nodes.create(newNode(registration));
    else if (decision.kind === 'set-az' && existing) {
      await nodes.update(existing.id, existing.version, { availabilityZoneId: decision.availabilityZoneId });
    }
  });
}
