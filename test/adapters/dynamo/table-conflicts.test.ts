// The store under conflict-faithful DynamoDB: a write that meets a transaction in flight is sent
// again with jittered pauses and goes through once the other has answered; one that keeps meeting
// it gives up with TransactionConflictError (the API's 503); a failed condition is never retried.
// Conflicts and retries are counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFLICT_BACKOFF } from '../../../lambdas/adapters/dynamo/conflict-retry';
import { DynamoLeaseStore } from '../../../lambdas/adapters/dynamo/lease-store';
import { Table } from '../../../lambdas/adapters/dynamo/table';
import { MetricsRegistry } from '../../../lambdas/app/metrics-registry';
import { TransactionConflictError, VersionConflictError } from '../../../lambdas/core/errors';
import { withDynamoConflicts } from '../../../local/dynamo-conflicts';
import { createTestTable, type TestTable } from '../../support/dynamo';
import { gated } from '../../support/gated-dynamo';

let t: TestTable;
beforeAll(async () => {
  t = await createTestTable();
});
afterAll(async () => {
  await t.drop();
});

function setup() {
  const gate = gated(t.table.doc);
  const { doc, traffic } = withDynamoConflicts(gate.client, 'faithful');
  const metrics = new MetricsRegistry();
  const table = new Table(doc, t.name, metrics.conflictMetrics());
  const count = (request: string) => ({
    conflicts: metrics.dynamoConflicts.get({ request }),
    retries: metrics.dynamoConflictRetries.get({ request }),
  });
  return { table, traffic, metrics, count, inFlight: gate.inFlight };
}

const { attempts } = CONFLICT_BACKOFF;
let n = 0;
const key = (sk: string) => ({ PK: `T#${++n}`, SK: sk });

/** Resolves once the faithful layer has raised `conflicts` conflicts in all. */
async function conflictsRaised(traffic: ReturnType<typeof setup>['traffic'], conflicts: number) {
  while (traffic.conflicts.transactWrite + traffic.conflicts.singleWrite < conflicts)
    await new Promise((r) => setTimeout(r, 1));
}

describe('table writes meeting transactions in flight', () => {
  it('sends a single-item write again until the transaction has answered', async () => {
    const { table, traffic, count, inFlight } = setup();
    const counter = key('counter');
    await table.create({ ...counter, hits: 0 });
    const tx = await inFlight('TransactWriteCommand', () =>
      table.transact([{ kind: 'add', key: counter, add: { hits: 1 } }]),
    );
    const update = table.update(counter, { expectedVersion: 1, set: { note: 'later' } });
    await conflictsRaised(traffic, 1);
    await tx.release();
    const after = await update;
    expect(after).toMatchObject({ hits: 1, note: 'later', version: 2 });
    expect(count('write').conflicts).toBeGreaterThanOrEqual(1);
    expect(count('write').retries).toBe(count('write').conflicts);
  });

  it('sends a cancelled transaction again, and the retry still checks its conditions', async () => {
    const { table, traffic, count, inFlight } = setup();
    const shared = key('shared');
    await table.create({ ...shared, value: 'a' });
    const first = await inFlight('TransactWriteCommand', () =>
      table.transact([{ kind: 'update', key: shared, expectedVersion: 1, set: { value: 'first' } }]),
    );
    // Read the same version as the first: once the first commits, this one lost a real race.
    const second = table
      .transact([{ kind: 'update', key: shared, expectedVersion: 1, set: { value: 'second' } }])
      .catch((e: unknown) => e);
    await conflictsRaised(traffic, 1);
    await first.release();
    const error = await second;
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((await table.get(shared))?.value).toBe('first');
    expect(count('transaction').conflicts).toBeGreaterThanOrEqual(1);
  });

  it('gives up with TransactionConflictError after its attempts, having written nothing', async () => {
    const { table, count, inFlight } = setup();
    const hot = key('hot');
    const mine = key('mine');
    await table.create({ ...hot, hits: 0 });
    const holder = await inFlight('TransactWriteCommand', () =>
      table.transact([{ kind: 'add', key: hot, add: { hits: 1 } }]),
    );
    const error = await table
      .transact([
        { kind: 'create', item: { ...mine } },
        { kind: 'add', key: hot, add: { hits: 10 } },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect(count('transaction')).toEqual({ conflicts: attempts, retries: attempts - 1 });
    const single = await table.update(hot, { expectedVersion: 1, set: { x: 1 } }).catch((e: unknown) => e);
    expect(single).toBeInstanceOf(TransactionConflictError);
    expect(count('write')).toEqual({ conflicts: attempts, retries: attempts - 1 });
    await holder.release();
    expect(await table.get(mine)).toBeUndefined();
    expect((await table.get(hot))?.hits).toBe(1);
  });

  it('never retries a failed condition', async () => {
    const { table, traffic, count } = setup();
    const item = key('cond');
    await table.create({ ...item });
    const before = traffic.totalCalls();
    await expect(table.update(item, { expectedVersion: 7, set: { x: 1 } })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect(traffic.totalCalls() - before).toBe(1);
    expect(count('write')).toEqual({ conflicts: 0, retries: 0 });
  });

  it('takes shard leases of one tenant at once although each checks the same tenant lease', async () => {
    const { table, count } = setup();
    const leases = new DynamoLeaseStore(table);
    const tenantId = `lease-${++n}`;
    const taken = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        leases.acquireShard({ tenantId, number: i, count: 8 }, `owner-${i}`, 60_000),
      ),
    );
    expect(taken).toEqual(Array(8).fill(true));
    expect((await leases.shardHolders(tenantId)).map((h) => h.owner).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `owner-${i}`),
    );
    expect(count('transaction').retries).toBe(count('transaction').conflicts);
  });
});
