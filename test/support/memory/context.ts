// An AppContext on in-memory ports, with handles on each fake, and fixtures to fill it.
import type { AppContext } from '../../../lambdas/app/context';
import { quietLog } from '../../../lambdas/app/context';
import { MetricsRegistry } from '../../../lambdas/app/metrics-registry';
import { DEFAULT_STRIPE_SIZE, shardsOfCount } from '../../../lambdas/core/ids';
import { newNode, type PageserverNode } from '../../../lambdas/core/model/node';
import type { PlacementPolicy } from '../../../lambdas/core/model/placement-policy';
import type { Tenant } from '../../../lambdas/core/model/tenant';
import { newShard, type TenantShard } from '../../../lambdas/core/model/tenant-shard';
import { FakeComputeHook } from './compute-hook';
import { MemoryLeaseStore } from './lease-store';
import { MemoryControllerMetaStore } from './meta-store';
import { MemoryNodeOperationStore } from './node-operation-store';
import { MemoryNodeStore } from './node-store';
import { FakePageservers, testNodeAddress } from './pageservers';
import { MemoryTenantStore } from './tenant-store';
import { FakeWorkflowStarter } from './workflows';

export interface MemoryWorld {
  context: AppContext;
  nodes: MemoryNodeStore;
  operations: MemoryNodeOperationStore;
  tenants: MemoryTenantStore;
  leases: MemoryLeaseStore;
  meta: MemoryControllerMetaStore;
  pageservers: FakePageservers;
  computeHook: FakeComputeHook;
  workflows: FakeWorkflowStarter;
  metrics: MetricsRegistry;
  /** Lease clock: starts at the real time, moved only by `advance`. */
  advance(ms: number): void;
}

export function memoryWorld(
  options: { computeHook?: boolean; inlineReconcileMs?: number } = {},
): MemoryWorld {
  let offset = 0;
  const nodes = new MemoryNodeStore();
  const tenants = new MemoryTenantStore(nodes);
  const operations = new MemoryNodeOperationStore();
  const leases = new MemoryLeaseStore(() => Date.now() + offset);
  const meta = new MemoryControllerMetaStore();
  const pageservers = new FakePageservers();
  const computeHook = new FakeComputeHook();
  const workflows = new FakeWorkflowStarter();
  const metrics = new MetricsRegistry();
  const context: AppContext = {
    nodes,
    operations,
    tenants,
    leases,
    meta,
    pageservers,
    workflows,
    computeHook: options.computeHook === false ? null : computeHook,
    metrics,
    log: quietLog,
    inlineReconcileMs: options.inlineReconcileMs ?? 5_000,
    deadline: Number.POSITIVE_INFINITY,
  };
  return {
    context,
    nodes,
    operations,
    tenants,
    leases,
    meta,
    pageservers,
    computeHook,
    workflows,
    metrics,
    advance: (ms) => {
      offset += ms;
    },
  };
}

/** Registers Active nodes addressed as the fake pageservers expect. */
export async function addNodes(
  nodes: MemoryNodeStore,
  ids: number[],
  fields: Partial<Pick<PageserverNode, 'availability' | 'scheduling' | 'availabilityZoneId'>> = {},
): Promise<PageserverNode[]> {
  const out: PageserverNode[] = [];
  for (const id of ids) {
    out.push(
      await nodes.create({
        ...newNode({ id, availabilityZoneId: null, ...testNodeAddress(id) }),
        scheduling: 'Active',
        ...fields,
      }),
    );
  }
  return out;
}

let tenantCounter = 0;
/** A fresh tenant id per call: tests in one file never share a tenant by accident. */
export function newTenantId(): string {
  tenantCounter += 1;
  return `${tenantCounter.toString(16).padStart(8, '0')}${'ab'.repeat(12)}`;
}

export interface TenantFixture {
  tenantId?: string;
  /** The count literal: 0 for unsharded. */
  count?: number;
  /** Attached node per shard (by shard number); null for none. */
  attached: Array<number | null>;
  secondary?: number[][];
  generation?: number;
  policy?: PlacementPolicy;
  /** Per shard: changes applied before the shard is stored (observed, generationPageserver, ...). */
  shape?: (shard: TenantShard) => TenantShard;
}

/** Stores a tenant with the given intents directly, as if created earlier. */
export async function seedTenant(
  tenants: MemoryTenantStore,
  fixture: TenantFixture,
): Promise<{ tenant: Tenant; shards: TenantShard[] }> {
  const tenantId = fixture.tenantId ?? newTenantId();
  const count = fixture.count ?? 0;
  const secondaries = Math.max(0, ...(fixture.secondary ?? []).map((s) => s.length));
  const policy = fixture.policy ?? { kind: 'Attached', secondaries };
  const shards = shardsOfCount(tenantId, count).map((id, i) => {
    const shard = newShard({
      id,
      stripeSize: DEFAULT_STRIPE_SIZE,
      generation: fixture.generation ?? 1,
      policy,
      config: {},
      intent: { attached: fixture.attached[i] ?? null, secondary: fixture.secondary?.[i] ?? [] },
    });
    return fixture.shape ? fixture.shape(shard) : shard;
  });
  await tenants.createTenant(
    {
      tenantId,
      shardCount: count,
      stripeSize: DEFAULT_STRIPE_SIZE,
      policy,
      schedulingPolicy: 'Active',
      config: {},
      lastComputeNotification: null,
    },
    shards,
  );
  return (await tenants.getTenantWithShards(tenantId))!;
}
