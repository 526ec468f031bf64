// The single table's key schema and indexes: used by the local stack, the tests and the CDK stack,
// so that all three create exactly the same table.

export const PK = 'PK';
export const SK = 'SK';

/** Sparse index of shards whose observed state differs from intent (the reconcile queue). */
export const DIRTY_INDEX = 'dirty';
export const DIRTY_PK = 'dirtyBucket';
export const DIRTY_SK = 'dirtySince';

/** Sparse index used to page through tenants without scanning the table. */
export const LIST_INDEX = 'list';
export const LIST_PK = 'listKind';
export const LIST_SK = 'listKey';

export interface IndexSpec {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export const GLOBAL_INDEXES: IndexSpec[] = [
  { name: DIRTY_INDEX, partitionKey: DIRTY_PK, sortKey: DIRTY_SK },
  { name: LIST_INDEX, partitionKey: LIST_PK, sortKey: LIST_SK },
];

/** Attribute holding an absolute expiry (epoch seconds) that DynamoDB TTL may garbage-collect. */
export const TTL_ATTRIBUTE = 'ttl';
