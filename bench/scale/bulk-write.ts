// Bulk writes for seeding: the tenant store builds its items as it always does, but against a
// client that collects its transactions instead of sending them. Puts then go out 25 to a
// BatchWriteItem, and counter increments (ADD-only updates) are summed per item and applied once,
// so the seeded table holds exactly what the store would have written (items, derived items,
// counters) in a fraction of the calls. Anything of another shape is sent as its transaction.
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '../../lambdas/core/concurrency';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const BATCH = 25;

/** `ADD #n0 :v1, #n2 :v3` as attribute → delta, or null for any other expression. */
function addOnly(update: NonNullable<TransactItem['Update']>): Record<string, number> | null {
  const m = /^ADD (.+)$/.exec(update.UpdateExpression ?? '');
  if (!m) return null;
  const out: Record<string, number> = {};
  for (const part of m[1]!.split(',')) {
    const [name, value] = part.trim().split(/\s+/);
    const attribute = update.ExpressionAttributeNames?.[name ?? ''];
    const delta = update.ExpressionAttributeValues?.[value ?? ''];
    if (!attribute || typeof delta !== 'number') return null;
    out[attribute] = (out[attribute] ?? 0) + delta;
  }
  return out;
}

export class BulkWriter {
  private puts: Array<Record<string, unknown>> = [];
  private adds = new Map<string, { key: Record<string, unknown>; add: Record<string, number> }>();
  private whole: TransactItem[][] = [];
  /** Transactions sent as they were, because they held an operation of another shape. */
  sentWhole = 0;
  calls = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** A client for the store: its transactions are collected, never sent. */
  readonly capture = {
    send: async (command: unknown) => {
      if (!(command instanceof TransactWriteCommand))
        throw new Error('bulk seeding only collects transactions');
      this.collect(command.input.TransactItems ?? []);
      return {};
    },
  } as unknown as DynamoDBDocumentClient;

  private collect(items: TransactItem[]): void {
    const puts: Array<Record<string, unknown>> = [];
    const adds: Array<{ key: Record<string, unknown>; add: Record<string, number> }> = [];
    for (const item of items) {
      const add = item.Update ? addOnly(item.Update) : null;
      if (item.Put?.Item) puts.push(item.Put.Item);
      else if (item.Update && add) adds.push({ key: item.Update.Key ?? {}, add });
      else {
        this.whole.push(items);
        return;
      }
    }
    this.puts.push(...puts);
    for (const { key, add } of adds) {
      const id = JSON.stringify(key);
      const sum = this.adds.get(id) ?? { key, add: {} };
      for (const [attribute, delta] of Object.entries(add))
        sum.add[attribute] = (sum.add[attribute] ?? 0) + delta;
      this.adds.set(id, sum);
    }
  }

  /** Writes the collected puts (and odd transactions); counters wait for finish(). */
  async flush(concurrency: number): Promise<void> {
    const puts = this.puts;
    this.puts = [];
    const batches: Array<Array<Record<string, unknown>>> = [];
    for (let i = 0; i < puts.length; i += BATCH) batches.push(puts.slice(i, i + BATCH));
    await mapLimited(batches, concurrency, (batch) => this.batchWrite(batch));
    const whole = this.whole;
    this.whole = [];
    await mapLimited(whole, concurrency, async (items) => {
      this.calls += 1;
      this.sentWhole += 1;
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    });
  }

  /** Applies the summed counter increments, one update per item. */
  async finish(): Promise<void> {
    for (const { key, add } of this.adds.values()) {
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      const parts = Object.entries(add).map(([attribute, delta], i) => {
        names[`#a${i}`] = attribute;
        values[`:a${i}`] = delta;
        return `#a${i} :a${i}`;
      });
      this.calls += 1;
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `ADD ${parts.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    }
    this.adds.clear();
  }

  private async batchWrite(items: Array<Record<string, unknown>>): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2_000)));
      this.calls += 1;
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      if (attempt > 20) throw new Error(`${pending.length} items stayed unprocessed`);
    }
  }
}
