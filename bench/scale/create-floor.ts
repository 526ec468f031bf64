// The floor for a tenant create: the DynamoDB calls no create can do without, whatever its shard
// count (up to the fast path's 16 shards, whose create and last write each fit in one transaction).
// bench:scale prints it beside the measured calls per create; test/tenants/create-calls.test.ts
// fails a create that needs more than twice as many.

export interface FloorPart {
  call: string;
  why: string;
}

export const CREATE_FLOOR: readonly FloorPart[] = [
  {
    call: 'GetItem controller meta',
    why: 'the readiness gate: a stateless handler learns that startup reconciliation finished only from the table',
  },
  {
    call: 'Query nodes',
    why: 'scheduling needs every node with its attached/secondary counts, and how many shards call each AZ home (one partition, one Query)',
  },
  {
    call: 'TransactWriteItems create',
    why: 'tenant, shards with their first generation issued to the chosen node (persisted before any pageserver sees it), memberships, node counters, the tenant lease: all or nothing',
  },
  {
    call: 'TransactWriteItems placed',
    why: "after the pageservers and the compute hook answered: every shard's observed state and owed flag, the notification delivered, the lease given up",
  },
];

/** Not in the floor, kept on purpose: the send guard's read of the shards (one BatchGet). */
export const CREATE_KEPT =
  'BatchGetItem shards: the send guard, read after our own write and before the first call';

export const createFloor = (): number => CREATE_FLOOR.length;
