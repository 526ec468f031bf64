// DynamoDB calls per create, counted on the local stack (DynamoDB Local with DynamoDB's
// transaction conflicts raised): an unsharded and an 8-shard create each stay within twice the
// stated floor (bench/scale/create-floor.ts), alone and 8 at once. Counts, never time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFloor } from '../../bench/scale/create-floor';
import { DynamoCallCounter, describeCommands } from '../../bench/scale/dynamo-calls';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
const counter = new DynamoCallCounter();

beforeAll(async () => {
  api = await startTestApi({ pageservers: 3, onDocumentClient: (doc) => counter.attach(doc) });
  counter.watchStack(api.stack);
  // Startup's own traffic over (the reconcile-all pass it starts included): a first create, not counted.
  expect((await create(0)).status).toBe(201);
  await api.stack.reconcileAllNow();
});
afterAll(() => api.stop());

function create(count: number) {
  return api.call('POST', '/v1/tenant', {
    body: {
      new_tenant_id: randomTenantId(),
      ...(count > 0 ? { shard_parameters: { count, stripe_size: 32768 } } : {}),
      placement_policy: { Attached: 0 },
    },
  });
}

async function callsOf(creates: number[]) {
  const before = counter.snapshot();
  const answers = await Promise.all(creates.map(create));
  const calls = DynamoCallCounter.since(before, counter.snapshot());
  expect(answers.map((a) => a.status)).toEqual(creates.map(() => 201));
  return { perCreate: calls.total / creates.length, calls };
}

describe('DynamoDB calls per create', () => {
  it.each([
    ['an unsharded create', 0],
    ['an 8-shard create', 8],
  ])('%s is within twice the floor', async (_name, count) => {
    const { perCreate, calls } = await callsOf([count]);
    expect(perCreate, describeCommands(calls)).toBeLessThanOrEqual(2 * createFloor());
    // The floor's own calls are there: the create and the placed write are one transaction each.
    expect(calls.byCommand.TransactWriteItems, describeCommands(calls)).toBe(2);
  });

  it('stays within twice the floor with eight creates at once, conflicts and retries counted', async () => {
    const { perCreate, calls } = await callsOf([0, 0, 0, 0, 8, 8, 8, 8]);
    expect(perCreate, describeCommands(calls, 8)).toBeLessThanOrEqual(2 * createFloor());
  });
});
