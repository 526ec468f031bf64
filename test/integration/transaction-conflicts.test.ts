// The stack under conflict-faithful DynamoDB (the test stack's default): a request whose write keeps
// meeting a transaction in flight gets a 503 with a retry hint, and the retries are counted.
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client';
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

describe('DynamoDB transaction conflicts', () => {
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
      '{request="transaction"}': 7,
    });
    expect((await api.call('GET', `/v1/tenant/${tenantId}`)).status).toBe(404);

    await held.release();
    other.destroy();
    const created = await api.call('POST', '/v1/tenant', createBody(tenantId, 0));
    expect(created.status, created.text).toBe(201);
    await expectConsistent(api);
  });
});
