// Reading many items by key: BatchGetItem, 100 keys a call, strongly consistent, a few calls in
// flight. DynamoDB may hand back part of a batch unread (UnprocessedKeys, under throttling or the
// 16 MiB response limit); those are asked for again after a pause, until every key is answered.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { DYNAMODB } from '../../core/aws-limits';
import { mapLimited } from '../../core/concurrency';
import type { Item, Key, Table } from './table';

/** Calls in flight at once: enough to overlap round trips, few enough not to be throttled. */
const CONCURRENCY = 4;
/** Rounds of unprocessed keys before giving up (each pauses longer). */
const MAX_ROUNDS = 10;

/** The items found for `keys` (any order; keys with no item are left out). */
export async function batchGet<T extends Item = Item>(table: Table, keys: Key[]): Promise<T[]> {
  const unique = [...new Map(keys.map((k) => [`${k.PK}\u0000${k.SK}`, k])).values()];
  const chunks: Key[][] = [];
  for (let i = 0; i < unique.length; i += DYNAMODB.batchGetKeys)
    chunks.push(unique.slice(i, i + DYNAMODB.batchGetKeys));
  const pages = await mapLimited(chunks, CONCURRENCY, (chunk) => getChunk<T>(table, chunk));
  return pages.flat();
}

async function getChunk<T>(table: Table, keys: Key[]): Promise<T[]> {
  const found: T[] = [];
  let pending: Record<string, unknown>[] = keys.map((k) => ({ PK: k.PK, SK: k.SK }));
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_ROUNDS) throw new Error(`BatchGet left ${pending.length} keys unread`);
    if (round > 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** round));
    const out = await table.doc.send(
      new BatchGetCommand({
        RequestItems: { [table.name]: { Keys: pending, ConsistentRead: true } },
      }),
    );
    found.push(...((out.Responses?.[table.name] ?? []) as T[]));
    pending = (out.UnprocessedKeys?.[table.name]?.Keys ?? []) as Record<string, unknown>[];
  }
  return found;
}
