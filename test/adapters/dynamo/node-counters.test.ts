// Node counts spread over counter items: each tenant's writes add to one counter item per node,
// reads add them up, and only tenants sharing a counter item meet in a transaction conflict.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterSlot } from '../../../lambdas/adapters/dynamo/derived-ops';
import { NODE_COUNTER_SLOTS } from '../../../lambdas/adapters/dynamo/keys';
import { DynamoNodeStore } from '../../../lambdas/adapters/dynamo/node-store';
import { Table } from '../../../lambdas/adapters/dynamo/table';
import { DynamoTenantStore } from '../../../lambdas/adapters/dynamo/tenant-store';
import { shardsOfCount } from '../../../lambdas/core/ids';
import { newNode } from '../../../lambdas/core/model/node';
import { withDynamoConflicts } from '../../../local/dynamo-conflicts';
import { createTestTable, type TestTable } from '../../support/dynamo';
import { gated } from '../../support/gated-dynamo';
import { newTenantId, testNodeAddress } from '../../support/memory';
import { shardOf, tenantOf } from './store-contract';

let t: TestTable;
beforeAll(async () => {
  t = await createTestTable();
});
afterAll(async () => {
  await t.drop();
});

function stores(table = t.table) {
  return { nodes: new DynamoNodeStore(table), tenants: new DynamoTenantStore(table) };
}

let nextNode = 100;
async function node(nodes: DynamoNodeStore): Promise<number> {
  const id = nextNode++;
  await nodes.create(newNode({ id, availabilityZoneId: null, ...testNodeAddress(id) }));
  return id;
}

/** A tenant id whose writes add to counter item `slot`. */
function tenantInSlot(slot: number): string {
  for (;;) {
    const id = newTenantId();
    if (counterSlot(id) === slot) return id;
  }
}

async function createOn(tenants: DynamoTenantStore, tenantId: string, attached: number, count = 0) {
  await tenants.createTenant(
    tenantOf(tenantId, count),
    shardsOfCount(tenantId, count).map((id) => shardOf(id, attached)),
  );
}

async function nodeItems(nodeId: number) {
  const out = await t.table.doc.send(
    new QueryCommand({
      TableName: t.name,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ExpressionAttributeValues: { ':pk': 'NODES', ':sk': `NODE#${String(nodeId).padStart(20, '0')}` },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('node counter items', () => {
  it('adds a tenant’s shards to one counter item per node, sums them on read, deletes them with the node', async () => {
    const { nodes, tenants } = stores();
    const id = await node(nodes);
    expect(await nodeItems(id)).toHaveLength(1 + NODE_COUNTER_SLOTS);
    const a = tenantInSlot(3);
    const b = tenantInSlot(7);
    await createOn(tenants, a, id, 4);
    await createOn(tenants, b, id);
    expect(await nodes.get(id)).toMatchObject({ attachedCount: 5, secondaryCount: 0 });
    expect((await nodes.list()).find((n) => n.id === id)?.attachedCount).toBe(5);
    const counted = (await nodeItems(id)).filter((i) => i.attachedCount > 0);
    expect(counted.map((i) => [i.SK.slice(-2), i.attachedCount])).toEqual([
      ['03', 4],
      ['07', 1],
    ]);
    // A shard leaving the node takes its count from the tenant's item.
    const [shard] = (await tenants.getTenantWithShards(b))!.shards;
    await tenants.saveShards([
      { before: shard!, after: { ...shard!, intent: { attached: null, secondary: [] } } },
    ]);
    expect((await nodes.get(id))?.attachedCount).toBe(4);
    await nodes.delete(id);
    expect(await nodeItems(id)).toEqual([]);
  });

  it('gives a node registered before counts were spread its counter items, keeping its counts', async () => {
    const { nodes, tenants } = stores();
    const id = nextNode++;
    // The node item as it was stored before: counts on the item itself, no counter items.
    await t.table.create({
      PK: 'NODES',
      SK: `NODE#${String(id).padStart(20, '0')}`,
      nodeId: id,
      ...newNode({ id, availabilityZoneId: null, ...testNodeAddress(id) }),
      attachedCount: 2,
      secondaryCount: 1,
    });
    expect(await nodes.get(id)).toMatchObject({ attachedCount: 2, secondaryCount: 1 });
    expect(await nodeItems(id)).toHaveLength(1 + NODE_COUNTER_SLOTS);
    await createOn(tenants, newTenantId(), id);
    expect(await nodes.get(id)).toMatchObject({ attachedCount: 3, secondaryCount: 1 });
  });

  it('lets creates of tenants on different counter items of one node run at once; a conflict moves to another', async () => {
    const gate = gated(t.table.doc);
    const { doc, traffic } = withDynamoConflicts(gate.client, 'faithful');
    const { nodes, tenants } = stores(new Table(doc, t.name));
    const id = await node(nodes);
    const held = await gate.inFlight('TransactWriteCommand', () => createOn(tenants, tenantInSlot(1), id, 8));
    await createOn(tenants, tenantInSlot(2), id, 8);
    expect(traffic.conflicts.transactWrite).toBe(0);
    // Same counter item as the transaction still in flight: it conflicts once, then the retry adds
    // to another counter item and goes through while the first is still held.
    await createOn(tenants, tenantInSlot(1), id);
    expect(traffic.conflicts.transactWrite).toBeGreaterThanOrEqual(1);
    await held.release();
    expect((await nodes.get(id))?.attachedCount).toBe(17);
  });

  it('reads every node with its counts and the AZ home counts in one Query, as list() and homeShardsByAz() say', async () => {
    const traffic = withDynamoConflicts(t.table.doc, 'off');
    const { nodes, tenants } = stores(new Table(traffic.doc, t.name));
    const id = await node(nodes);
    const az = `az-${newTenantId().slice(0, 6)}`;
    const tenantId = newTenantId();
    await tenants.createTenant(
      tenantOf(tenantId, 4),
      shardsOfCount(tenantId, 4).map((s) => ({ ...shardOf(s, id), preferredAz: az })),
    );
    traffic.traffic.reset();
    const both = await nodes.listWithHomes();
    expect(traffic.traffic.totalCalls()).toBe(1);
    expect(both.nodes).toEqual(await nodes.list());
    expect(both.nodes.find((n) => n.id === id)).toMatchObject({ attachedCount: 4 });
    expect(both.homeShardsByAz).toEqual(await tenants.homeShardsByAz());
    expect(both.homeShardsByAz.get(az)).toBe(4);
  });
});
