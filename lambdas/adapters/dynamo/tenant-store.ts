// Tenants and tenant shards in the single table. Every shard write also writes, in the same
// transaction, what is derived from it: the node→shard membership items and the per-node
// attached/secondary counters (derived-ops.ts). Deriving them here, from the before/after pair, is
// what keeps them consistent with the intents whatever the caller changed.
import { createHash } from 'node:crypto';
import { DYNAMODB } from '../../core/aws-limits';
import {
  formatShardIndex,
  formatTenantShardId,
  parseTenantShardId,
  type TenantShardId,
} from '../../core/ids';
import {
  type PlacementPolicy,
  placementPolicySchema,
  placementPolicyToJson,
} from '../../core/model/placement-policy';
import type { Tenant } from '../../core/model/tenant';
import type { TenantShard } from '../../core/model/tenant-shard';
import type { LeaseClaim, Membership, ShardChange, TenantStore, TenantWithShards } from '../../core/ports';
import { isDirty, needsPlacement } from '../../core/reconcile-plan';
import { batchGet } from './batch-get';
import { azHomeDeltas, azHomeOps, counterOps, counterSlot, derivedOps, randomSlot } from './derived-ops';
import { AZ_HOME_PREFIX, NODES_PK, nodePartition, sumHomes, TENANT_META_SK, tenantPk } from './keys';
import { claimOp, unclaimOp } from './lease-store';
import type { Item, Table, TransactOp } from './table';
import { DIRTY_PK, LIST_INDEX, LIST_PK } from './table-schema';
import { listSparseIndex, withShards } from './tenant-reads';

/** The dirty index is spread over this many partition values so one hot key cannot form. */
export const DIRTY_BUCKETS = 4;
const DIRTY_PARTITIONS = Array.from({ length: DIRTY_BUCKETS }, (_, i) => `DIRTY#${i}`);
/** Shards that are not dirty but need placing share the index under this partition value. */
const UNPLACED_PARTITION = 'UNPLACED';
const TENANT_LIST_KIND = 'TENANT';
const MAX_TRANSACTION_OPS = DYNAMODB.transactWriteActions;

const shardSk = (id: TenantShardId) => `SHARD#${formatShardIndex(id)}`;

function dirtyBucket(id: TenantShardId): string {
  const digest = createHash('sha256').update(formatTenantShardId(id)).digest();
  return `DIRTY#${digest[0]! % DIRTY_BUCKETS}`;
}

type ShardItem = Item & {
  kind: 'shard';
  tenantId: string;
  shardNumber: number;
  shardCount: number;
  stripeSize: number;
  generation: number;
  generationPageserver?: number;
  policy: unknown;
  schedulingPolicy: TenantShard['schedulingPolicy'];
  config: Record<string, unknown>;
  intentAttached?: number;
  intentSecondary: number[];
  observed: TenantShard['observed'];
  splitting: boolean;
  pendingComputeNotification: boolean;
  lastError?: string;
  preferredAzId?: string;
  sending?: { node: number; until: number };
};

type TenantItem = Item & {
  kind: 'tenant';
  tenantId: string;
  shardCount: number;
  stripeSize: number;
  policy: unknown;
  schedulingPolicy: Tenant['schedulingPolicy'];
  config: Record<string, unknown>;
  lastComputeNotification?: string;
};

function parsePolicy(raw: unknown): PlacementPolicy {
  return placementPolicySchema.parse(raw);
}

export function shardFromItem(item: ShardItem): TenantShard {
  return {
    id: { tenantId: item.tenantId, number: item.shardNumber, count: item.shardCount },
    stripeSize: item.stripeSize,
    generation: item.generation,
    generationPageserver: item.generationPageserver ?? null,
    policy: parsePolicy(item.policy),
    schedulingPolicy: item.schedulingPolicy,
    config: item.config,
    intent: { attached: item.intentAttached ?? null, secondary: item.intentSecondary ?? [] },
    observed: item.observed ?? {},
    splitting: item.splitting,
    pendingComputeNotification: item.pendingComputeNotification,
    lastError: item.lastError ?? null,
    preferredAz: item.preferredAzId ?? null,
    ...(item.sending ? { sending: { node: item.sending.node, until: item.sending.until } } : {}),
    version: item.version,
  };
}

function shardToItem(shard: TenantShard, now: string): Omit<ShardItem, 'version'> {
  const dirty = isDirty(shard);
  return {
    PK: tenantPk(shard.id.tenantId),
    SK: shardSk(shard.id),
    kind: 'shard',
    tenantId: shard.id.tenantId,
    shardNumber: shard.id.number,
    shardCount: shard.id.count,
    stripeSize: shard.stripeSize,
    generation: shard.generation,
    generationPageserver: shard.generationPageserver ?? undefined,
    policy: placementPolicyToJson(shard.policy),
    schedulingPolicy: shard.schedulingPolicy,
    config: shard.config,
    intentAttached: shard.intent.attached ?? undefined,
    intentSecondary: shard.intent.secondary,
    observed: shard.observed,
    splitting: shard.splitting,
    pendingComputeNotification: shard.pendingComputeNotification,
    lastError: shard.lastError ?? undefined,
    preferredAzId: shard.preferredAz ?? undefined,
    sending: shard.sending,
    // Sparse: present only while the shard needs a reconcile (or, apart from that, a placement).
    ...(dirty || needsPlacement(shard)
      ? {
          [DIRTY_PK]: dirty ? dirtyBucket(shard.id) : UNPLACED_PARTITION,
          dirtySince: `${now}#${formatTenantShardId(shard.id)}`,
        }
      : {}),
  };
}

export function tenantFromItem(item: TenantItem): Tenant {
  return {
    tenantId: item.tenantId,
    shardCount: item.shardCount,
    stripeSize: item.stripeSize,
    policy: parsePolicy(item.policy),
    schedulingPolicy: item.schedulingPolicy,
    config: item.config,
    lastComputeNotification: item.lastComputeNotification ?? null,
    version: item.version,
  };
}

function tenantToItem(tenant: Omit<Tenant, 'version'>): Omit<TenantItem, 'version'> {
  return {
    PK: tenantPk(tenant.tenantId),
    SK: TENANT_META_SK,
    kind: 'tenant',
    tenantId: tenant.tenantId,
    shardCount: tenant.shardCount,
    stripeSize: tenant.stripeSize,
    policy: placementPolicyToJson(tenant.policy),
    schedulingPolicy: tenant.schedulingPolicy,
    config: tenant.config,
    lastComputeNotification: tenant.lastComputeNotification ?? undefined,
    [LIST_PK]: TENANT_LIST_KIND,
    listKey: tenant.tenantId,
  };
}

export class DynamoTenantStore implements TenantStore {
  constructor(
    private readonly table: Table,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async getTenantWithShards(
    tenantId: string,
  ): Promise<{ tenant: Tenant; shards: TenantShard[] } | undefined> {
    const items = await this.table.queryAll<Item & { kind?: string }>(tenantPk(tenantId));
    const meta = items.find((i) => i.SK === TENANT_META_SK) as TenantItem | undefined;
    if (!meta) return undefined;
    // Sort keys are NNCC shard indexes, whose lexical order is the shard order.
    const shards = items.filter((i) => i.kind === 'shard').map((i) => shardFromItem(i as ShardItem));
    return { tenant: tenantFromItem(meta), shards };
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const item = await this.table.get<TenantItem>({ PK: tenantPk(tenantId), SK: TENANT_META_SK });
    return item ? tenantFromItem(item) : undefined;
  }

  async getShard(id: TenantShardId): Promise<TenantShard | undefined> {
    const item = await this.table.get<ShardItem>({ PK: tenantPk(id.tenantId), SK: shardSk(id) });
    return item ? shardFromItem(item) : undefined;
  }

  async createTenant(
    tenant: Omit<Tenant, 'version'>,
    shards: TenantShard[],
    claim?: LeaseClaim,
  ): Promise<void> {
    const at = this.now();
    const now = at.toISOString();
    const shardOps = shards.map((shard) => ({
      shard,
      change: { before: null, after: shard } as ShardChange,
    }));
    // The tenant item's create condition makes a second create of the same tenant fail as a whole.
    await this.writeInChunks(
      [
        { kind: 'create', item: tenantToItem(tenant) },
        ...(claim ? [claimOp(tenant.tenantId, claim.name, claim.owner, claim.ttlMs, at.getTime())] : []),
      ],
      shardOps.map(({ shard, change }) => ({
        op: { kind: 'create', item: shardToItem(shard, now) },
        change,
      })),
    );
  }

  async saveShards(
    changes: ShardChange[],
    tenant?: { before: Tenant; after: Tenant },
    release?: Omit<LeaseClaim, 'ttlMs'>,
  ): Promise<TenantShard[]> {
    const now = this.now().toISOString();
    const head: TransactOp[] = [];
    const tenantId = tenant?.before.tenantId ?? (changes[0]?.after ?? changes[0]?.before)?.id.tenantId;
    if (release && tenantId) head.push(unclaimOp(tenantId, release.name, release.owner));
    if (tenant) {
      const { version: _v, ...fields } = tenantToItem(tenant.after) as TenantItem;
      head.push({ kind: 'put', item: fields, expectedVersion: tenant.before.version });
    }
    await this.writeInChunks(
      head,
      changes.map((change) => {
        let op: TransactOp;
        if (change.after && change.before) {
          op = { kind: 'put', item: shardToItem(change.after, now), expectedVersion: change.before.version };
        } else if (change.after) {
          op = { kind: 'create', item: shardToItem(change.after, now) };
        } else {
          const before = change.before!;
          op = {
            kind: 'delete',
            key: { PK: tenantPk(before.id.tenantId), SK: shardSk(before.id) },
            expectedVersion: before.version,
          };
        }
        return { op, change };
      }),
    );
    return changes
      .filter((c) => c.after)
      .map((c) => ({ ...c.after!, version: c.before ? c.before.version + 1 : 1 }));
  }

  async deleteTenantItem(tenant: Tenant): Promise<void> {
    await this.table.delete({ PK: tenantPk(tenant.tenantId), SK: TENANT_META_SK }, tenant.version);
  }

  async listTenants(limit: number, after?: string): Promise<{ tenants: Tenant[]; next?: string }> {
    const page = await this.table.query<TenantItem>(TENANT_LIST_KIND, {
      index: { name: LIST_INDEX, partitionKey: LIST_PK },
      limit,
      startKey: after
        ? { PK: tenantPk(after), SK: TENANT_META_SK, [LIST_PK]: TENANT_LIST_KIND, listKey: after }
        : undefined,
    });
    const tenants = page.items.map(tenantFromItem);
    return { tenants, next: page.nextKey ? tenants.at(-1)?.tenantId : undefined };
  }

  async nodeMemberships(nodeId: number): Promise<Membership[]> {
    const items = await this.table.queryAll<Item & Omit<Membership, 'id'> & { tenantShardId: string }>(
      nodePartition(nodeId),
      { skPrefix: 'SHARD#' },
    );
    return items.map((i) => ({
      id: parseTenantShardId(i.tenantShardId),
      attached: i.attached,
      secondary: i.secondary,
      issued: i.issued,
      observed: i.observed,
    }));
  }

  listDirty(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }> {
    return listSparseIndex(this.table, DIRTY_PARTITIONS, limit, cursor);
  }

  listUnsettled(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }> {
    return listSparseIndex(this.table, [...DIRTY_PARTITIONS, UNPLACED_PARTITION], limit, cursor);
  }

  async getShards(ids: TenantShardId[]): Promise<TenantShard[]> {
    const keys = ids.map((id) => ({ PK: tenantPk(id.tenantId), SK: shardSk(id) }));
    return (await batchGet<ShardItem>(this.table, keys)).map(shardFromItem);
  }

  async getTenantsWithShards(tenantIds: string[]): Promise<TenantWithShards[]> {
    const keys = tenantIds.map((t) => ({ PK: tenantPk(t), SK: TENANT_META_SK }));
    const found = new Map(
      (await batchGet<TenantItem>(this.table, keys)).map((i) => [i.tenantId, tenantFromItem(i)]),
    );
    return withShards(
      this,
      tenantIds.flatMap((t) => found.get(t) ?? []),
    );
  }

  async listTenantsWithShards(
    limit: number,
    after?: string,
  ): Promise<{ tenants: TenantWithShards[]; next?: string }> {
    const page = await this.listTenants(limit, after);
    return { tenants: await withShards(this, page.tenants), next: page.next };
  }

  /**
   * Writes shard operations with their derived membership and counter operations. A change and
   * its derived operations always share one transaction; more than 100 operations are split
   * between transactions at shard boundaries.
   */
  private async writeInChunks(head: TransactOp[], shardOps: Array<{ op: TransactOp; change: ShardChange }>) {
    let chunk: TransactOp[] = [...head];
    let counters = new Map<number, { attached: number; secondary: number }>();
    let homes = new Map<string, number>();
    const first = shardOps[0]?.change;
    const slot = counterSlot((first?.after ?? first?.before)?.id.tenantId ?? '');
    const flush = async () => {
      const [ops, deltas, azDeltas] = [chunk, counters, homes];
      // Sent again after a conflict, the deltas go to another of the nodes' counter items: the one
      // in the way is most likely still held by the transaction it met.
      const attempt = (n: number) => {
        const s = n === 1 ? slot : randomSlot();
        return [...ops, ...counterOps(deltas, s), ...azHomeOps(azDeltas, s)];
      };
      await this.table.transact(attempt);
      chunk = [];
      counters = new Map();
      homes = new Map();
    };
    for (const { op, change } of shardOps) {
      const trial = new Map([...counters].map(([k, v]) => [k, { ...v }]));
      const trialHomes = new Map(homes);
      const derived = derivedOps(change, trial);
      azHomeDeltas(change, trialHomes);
      const size =
        chunk.length +
        1 +
        derived.length +
        counterOps(trial, slot).length +
        azHomeOps(trialHomes, slot).length;
      if (size > MAX_TRANSACTION_OPS && chunk.length > 0) {
        await flush();
        const fresh = new Map<number, { attached: number; secondary: number }>();
        const again = derivedOps(change, fresh);
        const freshHomes = new Map<string, number>();
        azHomeDeltas(change, freshHomes);
        chunk.push(op, ...again);
        counters = fresh;
        homes = freshHomes;
      } else {
        chunk.push(op, ...derived);
        counters = trial;
        homes = trialHomes;
      }
    }
    await flush();
  }

  /** How many shards call each AZ home (summed over its counter items; strongly consistent). */
  async homeShardsByAz(): Promise<Map<string, number>> {
    return sumHomes(await this.table.queryAll<Item>(NODES_PK, { skPrefix: AZ_HOME_PREFIX }));
  }
}
