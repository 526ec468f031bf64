// bench:scale seeds large fleets through BulkWriter: the tenant store's own transactions,
// collected and sent as batch writes with the counter increments summed. The seeded table must
// hold exactly what the store writes one transaction at a time.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BulkWriter } from '../../bench/scale/bulk-write';
import { DynamoNodeStore } from '../../lambdas/adapters/dynamo/node-store';
import { Table } from '../../lambdas/adapters/dynamo/table';
import { DynamoTenantStore } from '../../lambdas/adapters/dynamo/tenant-store';
import { shardsOfCount } from '../../lambdas/core/ids';
import { attachedConf } from '../../lambdas/core/model/location-config';
import { newTenant } from '../../lambdas/core/model/tenant';
import { newShard, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { registerNode } from '../../lambdas/nodes/register-node';
import { createTestTable, type TestTable } from '../support/dynamo';

let direct: TestTable;
let bulk: TestTable;
beforeEach(async () => {
  [direct, bulk] = await Promise.all([createTestTable(), createTestTable()]);
});
afterEach(async () => {
  await Promise.all([direct.drop(), bulk.drop()]);
});

const clock = () => new Date('2026-01-01T00:00:00Z');
const policy = { kind: 'Attached' as const, secondaries: 1 };

/** Tenants of 1 and 4 shards, attached round robin with one secondary, observed converged. */
function fleet(): Array<{ tenant: ReturnType<typeof newTenant>; shards: TenantShard[] }> {
  let next = 0;
  return [0, 4, 0, 0, 4].map((count, t) => {
    const tenantId = `${String(t).padStart(2, '0')}${'ab'.repeat(15)}`;
    const shards = shardsOfCount(tenantId, count).map((id) => {
      const attached = (next++ % 3) + 1;
      const shard = newShard({
        id,
        stripeSize: 32768,
        generation: 1,
        policy,
        config: {},
        intent: { attached, secondary: [(attached % 3) + 1] },
      });
      const conf = attachedConf({ number: id.number, count: id.count, stripeSize: 32768 }, {}, 1);
      return { ...shard, generationPageserver: attached, observed: { [String(attached)]: conf } };
    });
    return {
      tenant: newTenant({ tenantId, shardCount: count, stripeSize: 32768, policy, config: {} }),
      shards,
    };
  });
}

async function registerNodes(table: Table) {
  for (const id of [1, 2, 3])
    await registerNode(new DynamoNodeStore(table), {
      id,
      listenHttpAddr: '127.0.0.1',
      listenHttpPort: 9000 + id,
      listenPgAddr: '127.0.0.1',
      listenPgPort: 9000 + id,
      availabilityZoneId: null,
    });
}

async function items(t: TestTable) {
  const out = await t.table.doc.send(new ScanCommand({ TableName: t.name }));
  const all = out.Items ?? [];
  return all.sort((a, b) => `${a.PK}/${a.SK}`.localeCompare(`${b.PK}/${b.SK}`));
}

it('seeds the same items, memberships and node counters as the store writing tenant by tenant', async () => {
  await Promise.all([registerNodes(direct.table), registerNodes(bulk.table)]);
  const tenants = fleet();
  const store = new DynamoTenantStore(direct.table, clock);
  for (const { tenant, shards } of tenants) await store.createTenant(tenant, shards);

  const writer = new BulkWriter(bulk.table.doc, bulk.name);
  const collecting = new DynamoTenantStore(new Table(writer.capture, bulk.name), clock);
  for (const { tenant, shards } of tenants) await collecting.createTenant(tenant, shards);
  await writer.flush(4);
  await writer.finish();

  const expected = await items(direct);
  expect(expected.filter((i) => i.kind === 'membership').length).toBeGreaterThan(0);
  expect(await items(bulk)).toEqual(expected);
  expect(writer.sentWhole).toBe(0);
  // Batches of 25 items, then one update per counter item (a node's counts are spread over
  // several items beside it).
  const counters = expected.filter((i) => String(i.SK).includes('#COUNT#')).length;
  expect(writer.calls).toBeLessThanOrEqual(Math.ceil(expected.length / 25) + counters);
});
