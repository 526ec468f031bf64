// Reconcile-all's listing of pageservers between full sweeps (core/unknown-listing.ts), on
// in-memory ports: a node whose heartbeat reports exactly its intended locations is not listed
// again; one reporting more is.
import { describe, expect, it } from 'vitest';
import { findUnknownLocations } from '../../lambdas/reconciler/unknown-locations';
import { addNodes, memoryWorld, seedTenant } from '../support/memory';

async function reportShards(w: ReturnType<typeof memoryWorld>, node: number, count: number) {
  const n = (await w.nodes.get(node))!;
  await w.nodes.update(node, n.version, {
    utilization: {
      disk_usage_bytes: 0,
      free_space_bytes: 1,
      utilization_score: 0,
      captured_at: new Date().toISOString(),
      shard_count: count,
    },
  });
}

describe('findUnknownLocations between full sweeps', () => {
  it('lists a node once, then only when its heartbeat reports more locations than intended', async () => {
    const w = memoryWorld();
    await addNodes(w.nodes, [1, 2]);
    await seedTenant(w.tenants, { attached: [1] });
    await reportShards(w, 1, 1);
    await reportShards(w, 2, 0);
    const listings = () => w.pageservers.callsTo({ method: 'listLocationConfigs' }).length;
    await findUnknownLocations(w.context, 'pass-1');
    expect(listings()).toBe(2);
    await findUnknownLocations(w.context, 'pass-2');
    expect(listings()).toBe(2);
    await reportShards(w, 2, 1);
    await findUnknownLocations(w.context, 'pass-3');
    expect(w.pageservers.callsTo({ method: 'listLocationConfigs' }).map((c) => c.node)).toEqual([1, 2, 2]);
  });
});
