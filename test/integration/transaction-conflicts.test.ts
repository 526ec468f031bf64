// The stack under conflict-faithful DynamoDB (the test stack's default): concurrent creates meet
// DynamoDB's transaction conflicts as they would on AWS and still all succeed, every conflict is
// counted in /metrics, and a request whose write keeps meeting a transaction in flight gets a 503
// with a retry hint instead of a failure.
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client';
import { CONFLICT_BACKOFF } from '../../lambdas/adapters/dynamo/conflict-retry';
import { withDynamoConflicts } from '../../local/dynamo-conflicts';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { gated } from '../support/gated-dynamo';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const tableName = () => (api.stack.services.tenants as unknown as { table: { name: string } }).table.name;

function createBody(tenantId: string, count: number) {
  return { body: { new_tenant_id: tenantId, shard_parameters: { count, stripe_size: 32768 } } };
}

/** A metric's value per label set, from /metrics. */
async function metric(name: string): Promise<Record<string, number>> {
  const text = (await api.call('GET', '/metrics')).text;
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) values[m[1] ?? ''] = Number(m[2]);
  }
  return values;
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

describe('DynamoDB transaction conflicts', () => {
  it('creates 32 tenants at once on 6 pageservers without a failure, counting conflicts and retries', async () => {
    api = await startTestApi({ pageservers: 6 });
    // The pass startup leaves running would reconcile the new shards too: only the creates, here.
    await api.stack.reconcileAllNow();
    api.stack.dynamoTraffic.reset();
    const conflictsBefore = sum(await metric('storage_controller_dynamodb_transaction_conflicts'));
    const retriesBefore = sum(await metric('storage_controller_dynamodb_conflict_retries'));
    // The reference's mix, denser in 8-shard tenants: they touch every node at once.
    const requests = Array.from({ length: 32 }, (_, i) => ({
      id: randomTenantId(),
      count: i % 4 === 0 ? 8 : 0,
    }));
    const results = await Promise.all(
      requests.map((r) => api.call('POST', '/v1/tenant', createBody(r.id, r.count))),
    );
    expect(results.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`)).toEqual([]);

    const raised = api.stack.dynamoTraffic.conflicts;
    const conflicts =
      sum(await metric('storage_controller_dynamodb_transaction_conflicts')) - conflictsBefore;
    const retries = sum(await metric('storage_controller_dynamodb_conflict_retries')) - retriesBefore;
    // Every conflict DynamoDB raised was seen and counted, and each was retried (none gave up).
    expect(conflicts).toBe(raised.transactWrite + raised.singleWrite);
    expect(retries).toBe(conflicts);
    // A tenant's shard leases are taken together: none met another on the tenant's lease.
    const hot = [...api.stack.dynamoTraffic.conflictItems.keys()];
    expect(hot.filter((item) => item.includes('LEASE#OPERATION'))).toEqual([]);

    // The counters the scheduler reads add up to the shards placed, and match every intent.
    const nodes = (await api.stack.services.nodes.list()).map((n) => n.attachedCount);
    expect(nodes.reduce((a, b) => a + b, 0)).toBe(8 * 8 + 24);
    await expectConsistent(api);
  }, 180_000);

  it('answers 503 with Retry-After when a write keeps meeting a transaction in flight, and writes nothing', async () => {
    api = await startTestApi({ pageservers: 1 });
    const tenantId = randomTenantId();
    // Another client of the same DynamoDB holds a transaction on the tenant's item in flight.
    const gate = gated(createDocumentClient({ endpoint: api.stack.dynamoEndpoint }));
    const other = withDynamoConflicts(gate.client, 'faithful').doc;
    const held = await gate.inFlight('TransactWriteCommand', () =>
      other.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: tableName(),
                Key: { PK: `TENANT#${tenantId}`, SK: 'META' },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      ),
    );
    const busy = await api.call('POST', '/v1/tenant', createBody(tenantId, 0));
    expect(busy.status, busy.text).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect((busy.body as { msg: string }).msg).toMatch(/^Unavailable: busy, retry the request/);
    expect(await metric('storage_controller_dynamodb_conflict_retries')).toEqual({
      '{request="transaction"}': CONFLICT_BACKOFF.attempts - 1,
    });
    expect((await api.call('GET', `/v1/tenant/${tenantId}`)).status).toBe(404);

    await held.release();
    other.destroy();
    const created = await api.call('POST', '/v1/tenant', createBody(tenantId, 0));
    expect(created.status, created.text).toBe(201);
    await expectConsistent(api);
  });
});
