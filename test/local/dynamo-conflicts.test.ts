// The conflict-faithful client against DynamoDB Local: each conflict DynamoDB documents is raised
// exactly while the other request is in flight, in DynamoDB's shape, writes nothing, and nothing
// else conflicts. A gate holds chosen requests in flight (after the faithful layer saw them, before
// DynamoDB Local does: test/support/gated-dynamo.ts).
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoConflictMode, withDynamoConflicts } from '../../local/dynamo-conflicts';
import { createTestTable, type TestTable } from '../support/dynamo';
import { gated } from '../support/gated-dynamo';

let t: TestTable;
beforeAll(async () => {
  t = await createTestTable();
});
afterAll(async () => {
  await t.drop();
});

function setup(mode: DynamoConflictMode = 'faithful') {
  const gate = gated(t.table.doc);
  const { doc, traffic } = withDynamoConflicts(gate.client, mode);
  return { doc, traffic, inFlight: gate.inFlight };
}

let n = 0;
const key = (sk: string) => ({ PK: `C#${++n}`, SK: sk });
const put = (item: Record<string, unknown>) => ({ Put: { TableName: t.name, Item: item } });
const get = (doc: DynamoDBDocumentClient, k: { PK: string; SK: string }) =>
  doc.send(new GetCommand({ TableName: t.name, Key: k, ConsistentRead: true })).then((o) => o.Item);

describe('conflict-faithful DynamoDB', () => {
  it('cancels a transaction sharing an item with one in flight, naming that item, writing nothing', async () => {
    const { doc, traffic, inFlight } = setup();
    const shared = key('shared');
    const own = key('own');
    const first = await inFlight('TransactWriteCommand', () =>
      doc.send(new TransactWriteCommand({ TransactItems: [put({ ...shared, by: 'first' })] })),
    );
    const second = await doc
      .send(
        new TransactWriteCommand({
          TransactItems: [put({ ...own, by: 'second' }), put({ ...shared, by: 'second' })],
        }),
      )
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TransactionCanceledException);
    const cancelled = second as TransactionCanceledException;
    expect(cancelled.CancellationReasons).toEqual([
      { Code: 'None' },
      { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
    ]);
    expect(cancelled.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
    );
    expect(await get(doc, own)).toBeUndefined();
    await first.release();
    expect((await get(doc, shared))?.by).toBe('first');
    // Once the first has answered, the same transaction goes through.
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [put({ ...own, by: 'second' }), put({ ...shared, by: 'second' })],
      }),
    );
    expect((await get(doc, shared))?.by).toBe('second');
    expect(traffic.conflicts).toEqual({ transactWrite: 1, singleWrite: 0, transactGet: 0 });
    expect(Object.fromEntries(traffic.conflictItems)).toEqual({
      [JSON.stringify([t.name, shared.PK, shared.SK])]: 1,
    });
  });

  it('fails single-item writes on an item in a transaction in flight, ConditionCheck items included', async () => {
    const { doc, traffic, inFlight } = setup();
    const written = key('written');
    const checked = key('checked');
    await doc.send(new PutCommand({ TableName: t.name, Item: { ...checked, v: 0 } }));
    const tx = await inFlight('TransactWriteCommand', () =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            put({ ...written, v: 1 }),
            {
              ConditionCheck: {
                TableName: t.name,
                Key: checked,
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
          ],
        }),
      ),
    );
    const attempts = [
      doc.send(new PutCommand({ TableName: t.name, Item: { ...written, v: 2 } })),
      doc.send(
        new UpdateCommand({
          TableName: t.name,
          Key: checked,
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': 3 },
        }),
      ),
    ];
    for (const attempt of attempts) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionConflictException);
      expect((error as Error).message).toBe('Transaction is ongoing for the item');
    }
    // Reads never conflict: GetItem and Query see the last committed state.
    expect((await get(doc, checked))?.v).toBe(0);
    const query = await doc.send(
      new QueryCommand({
        TableName: t.name,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': written.PK },
      }),
    );
    expect(query.Items).toEqual([]);
    await tx.release();
    expect((await get(doc, written))?.v).toBe(1);
    expect((await get(doc, checked))?.v).toBe(0);
    expect(traffic.conflicts).toEqual({ transactWrite: 0, singleWrite: 2, transactGet: 0 });
  });

  it('raises nothing where DynamoDB does not: other items, the same partition, single writes racing', async () => {
    const { doc, traffic, inFlight } = setup();
    const locked = key('locked');
    const sibling = { PK: locked.PK, SK: 'sibling' };
    const tx = await inFlight('TransactWriteCommand', () =>
      doc.send(new TransactWriteCommand({ TransactItems: [put({ ...locked, v: 1 })] })),
    );
    await doc.send(new PutCommand({ TableName: t.name, Item: { ...sibling, v: 1 } }));
    await doc.send(new TransactWriteCommand({ TransactItems: [put({ ...key('other'), v: 1 })] }));
    await tx.release();
    // A single write in flight does not cancel a transaction on its item (DynamoDB serialises them).
    const single = await inFlight('PutCommand', () =>
      doc.send(new PutCommand({ TableName: t.name, Item: { ...locked, v: 2 } })),
    );
    await doc.send(new TransactWriteCommand({ TransactItems: [put({ ...sibling, v: 2 })] }));
    await doc.send(new PutCommand({ TableName: t.name, Item: { ...sibling, v: 3 } }));
    await single.release();
    expect(traffic.conflicts).toEqual({ transactWrite: 0, singleWrite: 0, transactGet: 0 });
  });

  it('frees the items of a transaction that failed its conditions', async () => {
    const { doc, inFlight } = setup();
    const item = key('failing');
    const tx = await inFlight('TransactWriteCommand', () =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: t.name,
                Item: { ...item, v: 1 },
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
          ],
        }),
      ),
    );
    const failed = await tx.release().catch((e: unknown) => e);
    expect((failed as TransactionCanceledException).CancellationReasons?.[0]?.Code).toBe(
      'ConditionalCheckFailed',
    );
    await doc.send(new PutCommand({ TableName: t.name, Item: { ...item, v: 2 } }));
    expect((await get(doc, item))?.v).toBe(2);
  });

  it('cancels a TransactGetItems reading an item that a single write has in flight', async () => {
    const { doc, traffic, inFlight } = setup();
    const item = key('read');
    const other = key('other');
    const single = await inFlight('PutCommand', () =>
      doc.send(new PutCommand({ TableName: t.name, Item: { ...item, v: 1 } })),
    );
    const read = await doc
      .send(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: t.name, Key: other } },
            { Get: { TableName: t.name, Key: item } },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect((read as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual([
      'None',
      'TransactionConflict',
    ]);
    await single.release();
    const after = await doc.send(
      new TransactGetCommand({ TransactItems: [{ Get: { TableName: t.name, Key: item } }] }),
    );
    expect(after.Responses?.[0]?.Item?.v).toBe(1);
    expect(traffic.conflicts.transactGet).toBe(1);
  });

  it('off: counts every command and raises nothing', async () => {
    const { doc, traffic, inFlight } = setup('off');
    const item = key('off');
    const tx = await inFlight('TransactWriteCommand', () =>
      doc.send(new TransactWriteCommand({ TransactItems: [put({ ...item, v: 1 })] })),
    );
    await doc.send(new TransactWriteCommand({ TransactItems: [put({ ...item, v: 2 })] }));
    await doc.send(new PutCommand({ TableName: t.name, Item: { ...item, v: 3 } }));
    await tx.release();
    await get(doc, item);
    expect(Object.fromEntries(traffic.calls)).toEqual({
      TransactWriteCommand: 2,
      PutCommand: 1,
      GetCommand: 1,
    });
    expect(traffic.totalCalls()).toBe(4);
    expect(traffic.conflicts).toEqual({ transactWrite: 0, singleWrite: 0, transactGet: 0 });
  });
});
