// The stores' contract, shared by the contract test files: the same cases run against the
// in-memory ports (test/support/memory) and the DynamoDB stores on DynamoDB Local, so a use-case
// test on the fakes means something on DynamoDB.
import { DynamoControllerMetaStore } from '../../../lambdas/adapters/dynamo/controller-meta-store';
import { DynamoLeaseStore } from '../../../lambdas/adapters/dynamo/lease-store';
import { DynamoNodeStore } from '../../../lambdas/adapters/dynamo/node-store';
import { DynamoTenantStore } from '../../../lambdas/adapters/dynamo/tenant-store';
import type { TenantShardId } from '../../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../../lambdas/core/model/location-config';
import { newNode } from '../../../lambdas/core/model/node';
import type { Tenant } from '../../../lambdas/core/model/tenant';
import { newShard, shardIdentity, type TenantShard } from '../../../lambdas/core/model/tenant-shard';
import type { ControllerMetaStore, LeaseStore, NodeStore, TenantStore } from '../../../lambdas/core/ports';
import { createTestTable, type TestTable } from '../../support/dynamo';
import {
  MemoryControllerMetaStore,
  MemoryLeaseStore,
  MemoryNodeStore,
  MemoryTenantStore,
  testNodeAddress,
} from '../../support/memory';

export interface Stores {
  tenants: TenantStore;
  nodes: NodeStore;
  leases: LeaseStore;
  meta: ControllerMetaStore;
  /** Moves the lease clock. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function memoryStores(): Promise<Stores> {
  let offset = 0;
  const nodes = new MemoryNodeStore();
  const leases = new MemoryLeaseStore(() => 1_000_000 + offset);
  return {
    nodes,
    tenants: new MemoryTenantStore(nodes, leases),
    leases,
    meta: new MemoryControllerMetaStore(),
    advance: (ms) => {
      offset += ms;
    },
    close: async () => undefined,
  };
}

export async function dynamoStores(): Promise<Stores> {
  let offset = 0;
  const t: TestTable = await createTestTable();
  return {
    nodes: new DynamoNodeStore(t.table),
    // One clock for both: a lease the tenant store takes is judged by the lease store's.
    tenants: new DynamoTenantStore(t.table, () => new Date(1_000_000 + offset)),
    leases: new DynamoLeaseStore(t.table, () => 1_000_000 + offset),
    meta: new DynamoControllerMetaStore(t.table),
    advance: (ms) => {
      offset += ms;
    },
    close: () => t.drop(),
  };
}

export function tenantOf(tenantId: string, count: number): Omit<Tenant, 'version'> {
  return {
    tenantId,
    shardCount: count,
    stripeSize: 32768,
    policy: { kind: 'Attached', secondaries: 1 },
    schedulingPolicy: 'Active',
    config: { gc_period: '1h' },
    lastComputeNotification: null,
  };
}

export function shardOf(id: TenantShardId, attached: number | null, secondary: number[] = []): TenantShard {
  return newShard({
    id,
    stripeSize: 32768,
    generation: 1,
    policy: { kind: 'Attached', secondaries: secondary.length },
    config: { gc_period: '1h' },
    intent: { attached, secondary },
  });
}

/** Observed exactly as intended: nothing to reconcile. */
export function settled(shard: TenantShard): TenantShard {
  const observed: TenantShard['observed'] = {};
  if (shard.intent.attached !== null)
    observed[String(shard.intent.attached)] = attachedConf(
      shardIdentity(shard),
      shard.config,
      shard.generation,
    );
  for (const n of shard.intent.secondary)
    observed[String(n)] = secondaryConf(shardIdentity(shard), shard.config);
  return { ...shard, generationPageserver: shard.intent.attached, observed };
}

export async function addNodes(nodes: NodeStore, ids: number[]) {
  for (const id of ids) await nodes.create(newNode({ id, availabilityZoneId: null, ...testNodeAddress(id) }));
}

export async function counts(nodes: NodeStore) {
  return Object.fromEntries(
    (await nodes.list()).map((n) => [n.id, [n.attachedCount, n.secondaryCount] as const]),
  );
}

/** Both kinds of store, for describe.each. */
export const STORE_KINDS = [
  ['in memory', memoryStores],
  ['on DynamoDB Local', dynamoStores],
] as const;
