// Leases: exclusive, expiring claims on a tenant or a shard, as conditional writes with absolute
// expiry times. Expiry is checked in the condition, never left to DynamoDB TTL (which is lazy).
// A shard lease is taken in one transaction with a check on the tenant's OPERATION lease, so a
// tenant operation and a shard operation can never both believe they hold the shard.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMODB } from '../../core/aws-limits';
import { formatTenantShardId, type TenantShardId } from '../../core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../../core/leases';
import type { LeaseHolder, LeaseStore } from '../../core/ports';
import { batchGet } from './batch-get';
import { tenantPk } from './keys';
import type { Item, Table, TransactOp } from './table';
import { TTL_ATTRIBUTE } from './table-schema';

const LEASE_PREFIX = 'LEASE#';
const SHARD_LEASE_PREFIX = `${LEASE_PREFIX}SHARD#`;

/** A lease item: owner and absolute expiry (garbage-collected by TTL an hour after expiry). */
export function leaseItem(tenantId: string, name: string, owner: string, ttlMs: number, now: number) {
  return {
    PK: tenantPk(tenantId),
    SK: `${LEASE_PREFIX}${name}`,
    owner,
    expiresAt: now + ttlMs,
    [TTL_ATTRIBUTE]: Math.ceil((now + ttlMs) / 1000) + 3600,
  };
}

/** Taking a lease inside another store's transaction, on the rules `acquire` applies. */
export function claimOp(
  tenantId: string,
  name: string,
  owner: string,
  ttlMs: number,
  now: number,
): TransactOp {
  return { kind: 'claim', item: leaseItem(tenantId, name, owner, ttlMs, now), owner, now };
}

/** Giving a lease up inside another store's transaction, if `owner` still holds it. */
export function unclaimOp(tenantId: string, name: string, owner: string): TransactOp {
  return { kind: 'unclaim', key: { PK: tenantPk(tenantId), SK: `${LEASE_PREFIX}${name}` }, owner };
}

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  private leaseItem(tenantId: string, name: string, owner: string, ttlMs: number, now: number) {
    return leaseItem(tenantId, name, owner, ttlMs, now);
  }

  async acquire(tenantId: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.table.write('write', () =>
        this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: this.leaseItem(tenantId, name, owner, ttlMs, now),
            ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': now, ':owner': owner },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  acquireShard(id: TenantShardId, owner: string, ttlMs: number, under?: string): Promise<boolean> {
    return this.acquireShards(id.tenantId, [{ id, owner }], ttlMs, under);
  }

  /**
   * One transaction: every shard lease, and the check on the tenant lease. Shard leases of one
   * tenant taken one by one at once meet in transaction conflicts on that tenant lease (the table
   * retries them); taken together they do not.
   */
  async acquireShards(
    tenantId: string,
    shards: Array<{ id: TenantShardId; owner: string }>,
    ttlMs: number,
    under?: string,
  ): Promise<boolean> {
    if (shards.length === 0) return true;
    if (shards.length >= DYNAMODB.transactWriteActions) return false;
    const now = this.now();
    const check = {
      ConditionCheck: {
        TableName: this.table.name,
        Key: { PK: tenantPk(tenantId), SK: `${LEASE_PREFIX}${TENANT_OPERATION_LEASE}` },
        ConditionExpression:
          under === undefined
            ? 'attribute_not_exists(PK) OR expiresAt < :now'
            : 'attribute_not_exists(PK) OR expiresAt < :now OR #owner = :under',
        ...(under === undefined ? {} : { ExpressionAttributeNames: { '#owner': 'owner' } }),
        ExpressionAttributeValues: { ':now': now, ...(under === undefined ? {} : { ':under': under }) },
      },
    };
    const puts = shards.map(({ id, owner }) => ({
      Put: {
        TableName: this.table.name,
        Item: this.leaseItem(tenantId, shardLease(id), owner, ttlMs, now),
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':now': now, ':owner': owner },
      },
    }));
    try {
      await this.table.write('transaction', () =>
        this.table.doc.send(new TransactWriteCommand({ TransactItems: [...puts, check] })),
      );
      return true;
    } catch (error) {
      const failed =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
      if (failed) return false;
      throw error;
    }
  }

  async shardHolders(tenantId: string): Promise<LeaseHolder[]> {
    const now = this.now();
    const holders: LeaseHolder[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': SHARD_LEASE_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if ((item.expiresAt as number) < now) continue;
        holders.push(toHolder((item.SK as string).slice(LEASE_PREFIX.length), item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return holders;
  }

  async holder(tenantId: string, name: string): Promise<LeaseHolder | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { PK: tenantPk(tenantId), SK: `${LEASE_PREFIX}${name}` },
        ConsistentRead: true,
      }),
    );
    const item = out.Item;
    if (!item || (item.expiresAt as number) < this.now()) return undefined;
    return toHolder(name, item);
  }

  async shardHoldersOf(ids: TenantShardId[]): Promise<Array<{ id: TenantShardId; holder: LeaseHolder }>> {
    const byKey = new Map(
      ids.map((id) => [`${tenantPk(id.tenantId)}\u0000${LEASE_PREFIX}${shardLease(id)}`, id]),
    );
    const items = await batchGet<Item>(
      this.table,
      ids.map((id) => ({ PK: tenantPk(id.tenantId), SK: `${LEASE_PREFIX}${shardLease(id)}` })),
    );
    const now = this.now();
    const found = new Map<string, { id: TenantShardId; holder: LeaseHolder }>();
    for (const item of items) {
      const id = byKey.get(`${item.PK}\u0000${item.SK}`);
      if (!id || (item.expiresAt as number) < now) continue;
      found.set(formatTenantShardId(id), { id, holder: toHolder(shardLease(id), item) });
    }
    return [...found.values()];
  }

  async cancel(tenantId: string, name: string, owner: string): Promise<boolean> {
    const now = this.now();
    try {
      await this.table.write('write', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: { PK: tenantPk(tenantId), SK: `${LEASE_PREFIX}${name}` },
            UpdateExpression: 'SET cancelled = :yes',
            ConditionExpression: '#owner = :owner AND expiresAt >= :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':yes': true, ':owner': owner, ':now': now },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(tenantId: string, name: string, owner: string): Promise<void> {
    try {
      await this.table.write('write', () =>
        this.table.doc.send(
          new DeleteCommand({
            TableName: this.table.name,
            Key: { PK: tenantPk(tenantId), SK: `${LEASE_PREFIX}${name}` },
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': owner },
          }),
        ),
      );
    } catch (error) {
      // Someone else holds it now (ours expired): nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function toHolder(name: string, item: Record<string, unknown>): LeaseHolder {
  return {
    name,
    owner: item.owner as string,
    expiresAt: item.expiresAt as number,
    ...(item.cancelled === true ? { cancelled: true } : {}),
  };
}
