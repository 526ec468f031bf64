// Leases: exclusive, expiring claims on a tenant or a shard, as conditional writes with absolute
// expiry times. Expiry is checked in the condition, never left to DynamoDB TTL (which is lazy).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LeaseStore } from '../../core/ports';
import { tenantPk } from './keys';
import type { Table } from './table';
import { TTL_ATTRIBUTE } from './table-schema';

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(tenantId: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            PK: tenantPk(tenantId),
            SK: `LEASE#${name}`,
            owner,
            expiresAt: now + ttlMs,
            // Garbage collection only, an hour after expiry.
            [TTL_ATTRIBUTE]: Math.ceil((now + ttlMs) / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(tenantId: string, name: string, owner: string): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { PK: tenantPk(tenantId), SK: `LEASE#${name}` },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else holds it now (ours expired): nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
