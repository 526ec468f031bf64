// Versioned access to the single table. Every write that can race conditions on the item's
// `version` (or on its absence for creates); a lost race raises VersionConflictError carrying the
// item as it is now, and never overwrites. A write refused for a transaction conflict is sent again
// (conflict-retry.ts) and raises TransactionConflictError only when that keeps happening.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type NativeAttributeValue, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ConflictMetrics } from '../../app/metrics-registry';
import { DYNAMODB } from '../../core/aws-limits';
import { VersionConflictError } from '../../core/errors';
import { sendThroughConflicts } from './conflict-retry';
import { ExpressionBuilder, type UpdateSpec } from './expression-builder';
import { PK, SK } from './table-schema';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface Key {
  PK: string;
  SK: string;
}

export type Item = Record<string, unknown> & Key & { version: number };

export type { UpdateSpec } from './expression-builder';

export type TransactOp =
  | { kind: 'create'; item: Omit<Item, 'version'> }
  | { kind: 'put'; item: Omit<Item, 'version'>; expectedVersion: number }
  | ({ kind: 'update'; key: Key } & UpdateSpec)
  | { kind: 'delete'; key: Key; expectedVersion?: number }
  | { kind: 'check'; key: Key; expectedVersion: number }
  /** Atomic counter changes on an item that must exist; leaves its version alone. */
  | { kind: 'add'; key: Key; add: Record<string, number> }
  /** Deletes an unversioned item (a counter) only while its attributes still hold these values (absent counts as 0). */
  | { kind: 'delete-if'; key: Key; equals: Record<string, number> }
  /** Atomic counter changes on an item created if absent (`set` fields written alongside). */
  | { kind: 'increment'; key: Key; add: Record<string, number>; set?: Record<string, unknown> }
  /** Unconditional write of a derived item (index-like items owned by another item's writes). */
  | { kind: 'overwrite'; item: Record<string, unknown> & Key }
  /** A lease item written if it is free, expired before `now`, or already `owner`'s. */
  | { kind: 'claim'; item: Record<string, unknown> & Key; owner: string; now: number }
  /** A lease item deleted on the condition that `owner` still holds it. */
  | { kind: 'unclaim'; key: Key; owner: string };

export interface QueryOptions {
  skPrefix?: string;
  consistent?: boolean;
  limit?: number;
  startKey?: Record<string, unknown>;
  index?: { name: string; partitionKey: string };
}

export interface Page<T> {
  items: T[];
  nextKey?: Record<string, unknown>;
}

/** Exceptions carry the old item in wire form (the document client does not convert errors). */
function plainItem(raw: unknown): Record<string, unknown> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  return unmarshall(raw as Record<string, NativeAttributeValue>);
}

function describeKey(key: Key): string {
  return `${key.PK}/${key.SK}`;
}

export class Table {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly name: string,
    private readonly conflicts?: ConflictMetrics,
  ) {}

  /** Sends a write (`send` calls the client once), again while DynamoDB refuses it for a transaction conflict. */
  write<T>(request: 'transaction' | 'write', send: (attempt: number) => Promise<T>): Promise<T> {
    return sendThroughConflicts(request, send, this.conflicts);
  }

  async get<T extends Item = Item>(key: Key, consistent = true): Promise<T | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }),
    );
    return out.Item as T | undefined;
  }

  async query<T extends Item = Item>(partition: string, options: QueryOptions = {}): Promise<Page<T>> {
    const b = new ExpressionBuilder();
    const pkName = options.index?.partitionKey ?? PK;
    let condition = `${b.name(pkName)} = ${b.value(partition)}`;
    if (options.skPrefix !== undefined)
      condition += ` AND begins_with(${b.name(SK)}, ${b.value(options.skPrefix)})`;
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.name,
        IndexName: options.index?.name,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: b.expressionNames,
        ExpressionAttributeValues: b.expressionValues,
        // GSIs cannot be read strongly consistently.
        ConsistentRead: options.index ? undefined : (options.consistent ?? true),
        Limit: options.limit,
        ExclusiveStartKey: options.startKey,
      }),
    );
    return { items: (out.Items ?? []) as T[], nextKey: out.LastEvaluatedKey };
  }

  /** Every item of a partition (follows pagination). */
  async queryAll<T extends Item = Item>(
    partition: string,
    options: Omit<QueryOptions, 'startKey'> = {},
  ): Promise<T[]> {
    const all: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: Page<T> = await this.query<T>(partition, { ...options, startKey });
      all.push(...page.items);
      startKey = page.nextKey;
    } while (startKey);
    return all;
  }

  /** Creates an item with version 1; fails with VersionConflictError if it exists. */
  async create<T extends Item>(item: Omit<T, 'version'> & Key): Promise<T> {
    const full = { ...item, version: 1 } as T;
    try {
      await this.write('write', () =>
        this.doc.send(
          new PutCommand({
            TableName: this.name,
            Item: full,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
    } catch (error) {
      throw this.conflict(error, `${describeKey(item)} already exists`);
    }
    return full;
  }

  /** Applies an update if the item still has the expected version; returns the new item. */
  async update<T extends Item = Item>(key: Key, spec: UpdateSpec): Promise<T> {
    const b = new ExpressionBuilder();
    const { expression, condition } = b.update(spec);
    try {
      const out = await this.write('write', () =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: key,
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return out.Attributes as T;
    } catch (error) {
      throw this.conflict(error, `${describeKey(key)} changed since version ${spec.expectedVersion}`);
    }
  }

  /** Deletes an item; with expectedVersion, only if it still has that version. */
  async delete(key: Key, expectedVersion?: number): Promise<void> {
    try {
      await this.write('write', () =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.name,
            Key: key,
            ...(expectedVersion === undefined
              ? {}
              : {
                  ConditionExpression: '#version = :version',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':version': expectedVersion },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                }),
          }),
        ),
      );
    } catch (error) {
      throw this.conflict(error, `${describeKey(key)} changed since version ${expectedVersion}`);
    }
  }

  /**
   * All-or-nothing write of up to 100 operations; any failed condition raises VersionConflictError.
   * `ops` may be a function of the attempt (1, 2, …) when a transaction cancelled for a conflict
   * may be sent again with different, equivalent operations (never with a request token).
   */
  async transact(
    ops: TransactOp[] | ((attempt: number) => TransactOp[]),
    clientRequestToken?: string,
  ): Promise<void> {
    const build = typeof ops === 'function' ? ops : () => ops;
    let sent = build(1);
    if (sent.length === 0) return;
    if (sent.length > DYNAMODB.transactWriteActions)
      throw new Error(
        `transaction of ${sent.length} operations exceeds DynamoDB's ${DYNAMODB.transactWriteActions}`,
      );
    try {
      await this.write('transaction', (attempt) => {
        if (attempt > 1) sent = build(attempt);
        return this.doc.send(
          new TransactWriteCommand({
            TransactItems: sent.map((op) => this.transactItem(op)),
            ClientRequestToken: clientRequestToken,
          }),
        );
      });
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failed >= 0) {
          const op = sent[failed]!;
          const key: Key = 'key' in op ? op.key : { PK: op.item.PK as string, SK: op.item.SK as string };
          throw new VersionConflictError(
            `transaction lost a race on ${describeKey(key)} (${op.kind})`,
            plainItem(reasons[failed]?.Item),
          );
        }
      }
      throw error;
    }
  }

  /** A delete or check of `key` on the condition that its version is still `version`. */
  private atVersion(b: ExpressionBuilder, key: Key, version: number) {
    const condition = `${b.name('version')} = ${b.value(version)}`;
    return {
      TableName: this.name,
      Key: key,
      ConditionExpression: condition,
      ExpressionAttributeNames: b.expressionNames,
      ExpressionAttributeValues: b.expressionValues,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  }

  private conditioned(b: ExpressionBuilder, condition: string) {
    const names = b.expressionNames;
    return {
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: b.expressionValues,
    };
  }

  private transactItem(op: TransactOp): TransactItem {
    const b = new ExpressionBuilder();
    switch (op.kind) {
      case 'create':
        return {
          Put: {
            TableName: this.name,
            Item: { ...op.item, version: 1 },
            ConditionExpression: `attribute_not_exists(${b.name(PK)})`,
            ExpressionAttributeNames: b.expressionNames,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        };
      case 'put': {
        const version = b.name('version');
        return {
          Put: {
            TableName: this.name,
            Item: { ...op.item, version: op.expectedVersion + 1 },
            ConditionExpression: `${version} = ${b.value(op.expectedVersion)}`,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        };
      }
      case 'update': {
        const { expression, condition } = b.update(op);
        return {
          Update: {
            TableName: this.name,
            Key: op.key,
            UpdateExpression: expression,
            ConditionExpression: condition,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        };
      }
      case 'delete':
        if (op.expectedVersion === undefined) return { Delete: { TableName: this.name, Key: op.key } };
        return { Delete: this.atVersion(b, op.key, op.expectedVersion) };
      case 'check':
        return { ConditionCheck: this.atVersion(b, op.key, op.expectedVersion) };
      case 'delete-if': {
        const condition = Object.entries(op.equals)
          .map(([attribute, value]) => {
            const equal = `${b.name(attribute)} = ${b.value(value)}`;
            return value === 0 ? `(attribute_not_exists(${b.name(attribute)}) OR ${equal})` : equal;
          })
          .join(' AND ');
        return {
          Delete: {
            TableName: this.name,
            Key: op.key,
            ConditionExpression: condition,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        };
      }
      case 'add': {
        const parts = Object.entries(op.add).map(
          ([attribute, delta]) => `${b.name(attribute)} ${b.value(delta)}`,
        );
        return {
          Update: {
            TableName: this.name,
            Key: op.key,
            UpdateExpression: `ADD ${parts.join(', ')}`,
            ConditionExpression: `attribute_exists(${b.name(PK)})`,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
          },
        };
      }
      case 'increment': {
        const sets = Object.entries(op.set ?? {}).map(([a, v]) => `${b.name(a)} = ${b.value(v)}`);
        const adds = Object.entries(op.add).map(([a, delta]) => `${b.name(a)} ${b.value(delta)}`);
        return {
          Update: {
            TableName: this.name,
            Key: op.key,
            UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}ADD ${adds.join(', ')}`,
            ExpressionAttributeNames: b.expressionNames,
            ExpressionAttributeValues: b.expressionValues,
          },
        };
      }
      case 'overwrite':
        return { Put: { TableName: this.name, Item: op.item } };
      case 'claim': {
        const [pk, expires, owner] = [b.name(PK), b.name('expiresAt'), b.name('owner')];
        const condition = `attribute_not_exists(${pk}) OR ${expires} < ${b.value(op.now)} OR ${owner} = ${b.value(op.owner)}`;
        return { Put: { TableName: this.name, Item: op.item, ...this.conditioned(b, condition) } };
      }
      case 'unclaim': {
        const condition = `${b.name('owner')} = ${b.value(op.owner)}`;
        return { Delete: { TableName: this.name, Key: op.key, ...this.conditioned(b, condition) } };
      }
      default:
        throw new Error(`unknown transaction operation ${(op as { kind: string }).kind}`);
    }
  }

  private conflict(error: unknown, message: string): unknown {
    if (error instanceof ConditionalCheckFailedException) {
      return new VersionConflictError(message, plainItem(error.Item));
    }
    return error;
  }
}
