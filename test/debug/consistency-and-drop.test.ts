// The consistency check recomputes what is derived from the shards (node counters, memberships)
// and must notice drift; the debug drops must leave nothing inconsistent behind.
import { beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../lambdas/core/errors';
import { consistencyCheck } from '../../lambdas/debug/consistency-check';
import { dropNode, dropTenant } from '../../lambdas/debug/drop';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
});

describe('consistencyCheck', () => {
  it('finds nothing wrong after ordinary writes', async () => {
    await seedTenant(w.tenants, { count: 2, attached: [1, 2], secondary: [[3], [1]] });
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('reports a node counter that drifted from the intents', async () => {
    await seedTenant(w.tenants, { attached: [1] });
    w.nodes.addCounts(2, 1, 0);
    expect(await consistencyCheck(w.context)).toEqual([expect.stringMatching(/^node 2 counts attached=1/)]);
  });
});

describe('dropNode', () => {
  it('removes every reference to the node, then the node, leaving the rest consistent', async () => {
    const { shards } = await seedTenant(w.tenants, { count: 2, attached: [1, 2], secondary: [[2], [1]] });
    await dropNode(w.context, 1);
    expect(await w.nodes.get(1)).toBeUndefined();
    const after = (await w.tenants.getTenantWithShards(shards[0]!.id.tenantId))!.shards;
    expect(after.map((s) => s.intent)).toEqual([
      { attached: null, secondary: [2] },
      { attached: 2, secondary: [] },
    ]);
    expect(await w.tenants.nodeMemberships(1)).toEqual([]);
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('answers 404 for an unknown node', async () => {
    await expect(dropNode(w.context, 9)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('dropTenant', () => {
  it('forgets the tenant, its shards and their node counts, detaching its locations first', async () => {
    const { tenant } = await seedTenant(w.tenants, { count: 2, attached: [1, 2] });
    await dropTenant(w.context, tenant.tenantId);
    expect(await w.tenants.getTenant(tenant.tenantId)).toBeUndefined();
    expect((await w.nodes.list()).map((n) => n.attachedCount)).toEqual([0, 0, 0]);
    expect(w.pageservers.calls.map((c) => [c.node, c.conf?.mode]).sort()).toEqual([
      [1, 'Detached'],
      [2, 'Detached'],
    ]);
    expect(await consistencyCheck(w.context)).toEqual([]);
    // Dropping again is a no-op.
    await dropTenant(w.context, tenant.tenantId);
  });

  it('still forgets the tenant when a pageserver does not answer (the detach is best effort)', async () => {
    const { tenant } = await seedTenant(w.tenants, { attached: [1] });
    w.pageservers.down.add(1);
    await dropTenant(w.context, tenant.tenantId);
    expect(await w.tenants.getTenant(tenant.tenantId)).toBeUndefined();
    expect(await consistencyCheck(w.context)).toEqual([]);
  });
});
