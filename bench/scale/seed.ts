// Bulk seeding for fleets too large to create through the API in reasonable time: the nodes are
// registered, every tenant is written converged (attached where the scheduler puts it, observed
// as attached in generation 1, its placement remembered as announced) by the tenant store's own
// item code, sent in batches (bulk-write.ts), and the simulators' disks are filled to match, as
// if the fleet had been running when the stack stopped.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoNodeStore } from '../../lambdas/adapters/dynamo/node-store';
import { Table } from '../../lambdas/adapters/dynamo/table';
import { DynamoTenantStore } from '../../lambdas/adapters/dynamo/tenant-store';
import { buildComputeNotification, notificationFingerprint } from '../../lambdas/core/compute-notification';
import { DEFAULT_STRIPE_SIZE, formatTenantShardId, shardsOfCount } from '../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import type { PlacementPolicy } from '../../lambdas/core/model/placement-policy';
import { newTenant } from '../../lambdas/core/model/tenant';
import {
  EMPTY_INTENT,
  newShard,
  shardIdentity,
  type TenantShard,
} from '../../lambdas/core/model/tenant-shard';
import { Scheduler, schedulerNode } from '../../lambdas/core/scheduler';
import { registerNode } from '../../lambdas/nodes/register-node';
import { allTenants } from '../../lambdas/tenants/all-tenants';
import { freePort } from '../../local/dynamodb-local';
import { SimDisk } from '../../local/sim/pageserver';
import { BulkWriter } from './bulk-write';
import { countLiteral, type PlannedTenant } from './create-through-api';

const stores = (doc: DynamoDBDocumentClient, tableName: string) => {
  const table = new Table(doc, tableName);
  return { nodes: new DynamoNodeStore(table), tenants: new DynamoTenantStore(table) };
};

/** Puts each shard's intended locations on the disks of the nodes (index = node id − 1). */
function addToDisks(disks: SimDisk[], shard: TenantShard): void {
  const identity = shardIdentity(shard);
  const key = formatTenantShardId(shard.id);
  if (shard.intent.attached !== null)
    disks[shard.intent.attached - 1]?.locations.set(key, {
      conf: attachedConf(identity, shard.config, shard.generation),
      timelines: new Map(),
    });
  for (const node of shard.intent.secondary)
    disks[node - 1]?.locations.set(key, {
      conf: secondaryConf(identity, shard.config),
      timelines: new Map(),
    });
}

/** A shard as a running fleet has it: placed, attached in generation 1, observed so. */
function convergedShard(shard: TenantShard): TenantShard {
  const identity = shardIdentity(shard);
  const observed: TenantShard['observed'] = {};
  for (const node of shard.intent.secondary) observed[String(node)] = secondaryConf(identity, shard.config);
  if (shard.intent.attached !== null)
    observed[String(shard.intent.attached)] = attachedConf(identity, shard.config, 1);
  return { ...shard, generation: 1, generationPageserver: shard.intent.attached, observed };
}

/** Tenants whose items are collected before each flush: bounds the memory they take. */
const SEED_CHUNK = 2_000;

export async function seedFleet(
  doc: DynamoDBDocumentClient,
  tableName: string,
  plan: PlannedTenant[][],
  options: {
    pageservers: number;
    secondaries: number;
    concurrency: number;
    /** The disks of running simulators, whose nodes are registered already; else new ones. */
    disks?: SimDisk[];
  },
  progress: (message: string) => void,
): Promise<{ disks: SimDisk[]; ms: number; calls: number }> {
  const started = performance.now();
  const { nodes } = stores(doc, tableName);
  const writer = new BulkWriter(doc, tableName);
  const { tenants } = stores(writer.capture, tableName);
  for (let id = 1; id <= options.pageservers && !options.disks; id++) {
    const port = await freePort();
    await registerNode(nodes, {
      id,
      listenHttpAddr: '127.0.0.1',
      listenHttpPort: port,
      listenPgAddr: '127.0.0.1',
      listenPgPort: port,
      availabilityZoneId: null,
    });
  }
  // One scheduler for the whole fleet: it tracks its own placements, so the load spreads as the
  // API's creates spread it one tenant at a time.
  const scheduler = new Scheduler((await nodes.list()).map(schedulerNode));
  const policy: PlacementPolicy = { kind: 'Attached', secondaries: options.secondaries };
  const disks = options.disks ?? Array.from({ length: options.pageservers }, () => new SimDisk());
  const all = plan.flat();
  let done = 0;
  const ticker = setInterval(() => progress(`  seeded ${done}/${all.length} tenants`), 15_000);
  try {
    const chunkShards: TenantShard[] = [];
    for (let i = 0; i < all.length; i += SEED_CHUNK) {
      for (const planned of all.slice(i, i + SEED_CHUNK)) {
        const count = countLiteral(planned.shardsEach);
        const shards = shardsOfCount(planned.tenantId, count).map((id) => {
          const shard = newShard({
            id,
            stripeSize: DEFAULT_STRIPE_SIZE,
            generation: 0,
            policy,
            config: {},
            intent: EMPTY_INTENT,
          });
          return convergedShard({ ...shard, intent: scheduler.schedule(shard).intent });
        });
        // A fleet that has been running has announced each tenant's placement and remembers it.
        const announced = buildComputeNotification(planned.tenantId, shards);
        const tenant = {
          ...newTenant({
            tenantId: planned.tenantId,
            shardCount: count,
            stripeSize: DEFAULT_STRIPE_SIZE,
            policy,
            config: {},
          }),
          lastComputeNotification: announced ? notificationFingerprint(announced) : null,
        };
        await tenants.createTenant(tenant, shards);
        chunkShards.push(...shards);
      }
      await writer.flush(options.concurrency);
      // On the disks only once in the table: a running stack's reconcile-all would detach a
      // location whose tenant it cannot find yet.
      for (const shard of chunkShards.splice(0)) addToDisks(disks, shard);
      done = Math.min(all.length, i + SEED_CHUNK);
    }
    await writer.finish();
  } finally {
    clearInterval(ticker);
  }
  if (writer.sentWhole > 0) progress(`  ${writer.sentWhole} transactions had to be sent whole`);
  return { disks, ms: performance.now() - started, calls: writer.calls };
}

/** For --skip-create: the fleet in the table, and disks holding what its intents say. */
export async function disksFromTable(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pageservers: number,
): Promise<{ disks: SimDisk[]; tenants: number; shards: number }> {
  const { tenants } = stores(doc, tableName);
  const disks = Array.from({ length: pageservers }, () => new SimDisk());
  let shards = 0;
  const fleet = await allTenants(tenants);
  for (const { shards: list } of fleet) {
    for (const shard of list) addToDisks(disks, shard);
    shards += list.length;
  }
  return { disks, tenants: fleet.length, shards };
}
