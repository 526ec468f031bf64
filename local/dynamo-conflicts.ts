// Conflict-faithful DynamoDB: DynamoDB Local applies concurrent transactions one after another and
// never raises TransactionConflict; DynamoDB does. This wraps the document client so that, in this
// process, the store fails exactly where DynamoDB documents a conflict ("Transaction conflict
// handling in DynamoDB", developer guide):
// - a TransactWriteItems touching an item that another in-flight TransactWriteItems touches is
//   cancelled: TransactionCanceledException, reason TransactionConflict for each such item, None for
//   the others, nothing written;
// - a PutItem, UpdateItem or DeleteItem on an item an in-flight TransactWriteItems touches fails
//   with TransactionConflictException, nothing written;
// - a TransactGetItems reading an item that an in-flight TransactWriteItems, PutItem, UpdateItem,
//   DeleteItem or BatchWriteItem writes is cancelled (TransactionConflict).
// Nothing else conflicts: GetItem, Query, BatchGetItem and single writes racing each other are
// serialised by DynamoDB. An item is in flight from the moment its request is sent until its answer
// arrives (an over-estimate of the server-side window by the loopback round trip).
// Wrapping the client rather than the Table sees every write, including the lease store's own
// commands and any future write path, and raises the SDK's own exception classes, so the production
// error handling is what gets exercised. It also counts every command sent (calls per operation).
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PK, SK } from '../lambdas/adapters/dynamo/table-schema';

export type DynamoConflictMode = 'faithful' | 'off';

export const DYNAMO_CONFLICT_MODES: readonly DynamoConflictMode[] = ['faithful', 'off'];

/** What went through the wrapped client since the last reset. */
export interface DynamoTraffic {
  /** Commands sent (conflicts raised here included), by command name, e.g. TransactWriteCommand. */
  readonly calls: Map<string, number>;
  /** Conflicts raised by the faithful mode, by the kind of request that met one. */
  readonly conflicts: { transactWrite: number; singleWrite: number; transactGet: number };
  /** Items that conflicts were raised on ([table, PK, SK] as JSON), with how often: the hot spots. */
  readonly conflictItems: Map<string, number>;
  totalCalls(): number;
  reset(): void;
}

type Command = { constructor: { name: string }; input: Record<string, unknown> };
type KeyOf = (table: unknown, key: Record<string, unknown>) => string;
type Items = Array<Record<string, Record<string, unknown>>>;

const itemKey: KeyOf = (table, key) => JSON.stringify([table, key[PK], key[SK]]);

/** The keys of a single-item write, or of each action of a transaction or batch. */
function keysOf(name: string, input: Record<string, unknown>): string[] {
  switch (name) {
    case 'PutCommand':
      return [itemKey(input.TableName, input.Item as Record<string, unknown>)];
    case 'UpdateCommand':
    case 'DeleteCommand':
      return [itemKey(input.TableName, input.Key as Record<string, unknown>)];
    case 'TransactWriteCommand':
    case 'TransactGetCommand':
      return (input.TransactItems as Items).map((action) => {
        const [op] = Object.values(action);
        return itemKey(op!.TableName, (op!.Key ?? op!.Item) as Record<string, unknown>);
      });
    case 'BatchWriteCommand':
      return Object.entries(input.RequestItems as Record<string, Items>).flatMap(([table, requests]) =>
        requests.map((r) =>
          itemKey(table, (r.PutRequest?.Item ?? r.DeleteRequest?.Key) as Record<string, unknown>),
        ),
      );
    default:
      return [];
  }
}

class HeldKeys {
  private readonly counts = new Map<string, number>();
  has(key: string): boolean {
    return this.counts.has(key);
  }
  hold(keys: string[]): () => void {
    for (const k of keys) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    return () => {
      for (const k of keys) {
        const n = (this.counts.get(k) ?? 1) - 1;
        if (n === 0) this.counts.delete(k);
        else this.counts.set(k, n);
      }
    };
  }
}

// What is in flight, over every wrapped client of this process: DynamoDB sees all clients' requests.
/** Items of TransactWriteItems requests in flight. */
const transactional = new HeldKeys();
/** Items of single-item and batch writes in flight. */
const written = new HeldKeys();

const METADATA = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };
const CONFLICT_MESSAGE = 'Transaction is ongoing for the item';

function cancelled(conflicting: boolean[]): TransactionCanceledException {
  const reasons = conflicting.map((c) =>
    c ? { Code: 'TransactionConflict', Message: CONFLICT_MESSAGE } : { Code: 'None' },
  );
  const message = `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
    .map((r) => r.Code)
    .join(', ')}]`;
  return new TransactionCanceledException({
    message,
    Message: message,
    CancellationReasons: reasons,
    $metadata: METADATA,
  });
}

/**
 * The client to use in place of `doc`: faithful raises DynamoDB's transaction conflicts as above,
 * against what any faithful client of this process has in flight; off only counts.
 */
export function withDynamoConflicts(
  doc: DynamoDBDocumentClient,
  mode: DynamoConflictMode,
): { doc: DynamoDBDocumentClient; traffic: DynamoTraffic } {
  const traffic: DynamoTraffic = {
    calls: new Map(),
    conflicts: { transactWrite: 0, singleWrite: 0, transactGet: 0 },
    conflictItems: new Map(),
    totalCalls: () => [...traffic.calls.values()].reduce((a, b) => a + b, 0),
    reset() {
      traffic.calls.clear();
      traffic.conflictItems.clear();
      Object.assign(traffic.conflicts, { transactWrite: 0, singleWrite: 0, transactGet: 0 });
    },
  };
  const inner = doc.send.bind(doc) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;

  const noteConflicts = (keys: string[], conflicting: boolean[]) => {
    keys.forEach((k, i) => {
      if (conflicting[i]) traffic.conflictItems.set(k, (traffic.conflictItems.get(k) ?? 0) + 1);
    });
  };

  async function send(command: Command, ...rest: unknown[]): Promise<unknown> {
    const name = command.constructor.name;
    traffic.calls.set(name, (traffic.calls.get(name) ?? 0) + 1);
    if (mode === 'off') return inner(command, ...rest);
    // Checked and held in one synchronous step, so no other request can slip in between.
    const keys = keysOf(name, command.input);
    let release: () => void = () => undefined;
    switch (name) {
      case 'TransactWriteCommand': {
        const conflicting = keys.map((k) => transactional.has(k));
        if (conflicting.some(Boolean)) {
          traffic.conflicts.transactWrite += 1;
          noteConflicts(keys, conflicting);
          throw cancelled(conflicting);
        }
        release = transactional.hold(keys);
        break;
      }
      case 'PutCommand':
      case 'UpdateCommand':
      case 'DeleteCommand':
        if (transactional.has(keys[0]!)) {
          traffic.conflicts.singleWrite += 1;
          noteConflicts(keys, [true]);
          throw new TransactionConflictException({ message: CONFLICT_MESSAGE, $metadata: METADATA });
        }
        release = written.hold(keys);
        break;
      case 'BatchWriteCommand':
        release = written.hold(keys);
        break;
      case 'TransactGetCommand': {
        const conflicting = keys.map((k) => transactional.has(k) || written.has(k));
        if (conflicting.some(Boolean)) {
          traffic.conflicts.transactGet += 1;
          noteConflicts(keys, conflicting);
          throw cancelled(conflicting);
        }
        break;
      }
    }
    try {
      return await inner(command, ...rest);
    } finally {
      release();
    }
  }

  const wrapped = new Proxy(doc, {
    get(target, property) {
      if (property === 'send') return send;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { doc: wrapped, traffic };
}
