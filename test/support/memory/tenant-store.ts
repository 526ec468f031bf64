// TenantStore in memory, with the semantics of the DynamoDB store
// (lambdas/adapters/dynamo/tenant-store.ts): versioned, all-or-nothing writes that raise
// VersionConflictError on a lost race; node→shard memberships and node counters derived from
// each shard change in the same write; a dirty set maintained on write.
import { VersionConflictError } from '../../../lambdas/core/errors';
import {
  formatShardIndex,
  formatTenantShardId,
  parseTenantShardId,
  type TenantShardId,
} from '../../../lambdas/core/ids';
import { membershipFlags, nodesOf } from '../../../lambdas/core/model/membership';
import type { Tenant } from '../../../lambdas/core/model/tenant';
import type { TenantShard } from '../../../lambdas/core/model/tenant-shard';
import type {
  LeaseClaim,
  Membership,
  ShardChange,
  TenantStore,
  TenantWithShards,
} from '../../../lambdas/core/ports';
import { isDirty, needsPlacement } from '../../../lambdas/core/reconcile-plan';
import { copy } from './clone';
import type { MemoryLeaseStore } from './lease-store';
import type { MemoryNodeStore } from './node-store';

type Flags = Omit<Membership, 'id'>;

/** Shards of one tenant sort by their NNCC index, as the DynamoDB sort key does. */
const shardKey = (id: TenantShardId) => `${id.tenantId}/${formatShardIndex(id)}`;

const anyFlag = (f: Flags) => f.attached || f.secondary || f.issued || f.observed;

/** A page of formatted ids in string order; the cursor is the last id handed out. */
function pageOf(all: string[], limit: number, cursor?: string): { ids: TenantShardId[]; next?: string } {
  const rest = all.sort().filter((id) => cursor === undefined || id > cursor);
  const page = rest.slice(0, limit);
  return {
    ids: page.map(parseTenantShardId),
    next: page.length === limit && rest.length > limit ? page.at(-1) : undefined,
  };
}

export class MemoryTenantStore implements TenantStore {
  private readonly tenants = new Map<string, Tenant>();
  private readonly shards = new Map<string, TenantShard>();
  /** node → formatted shard id → flags */
  private readonly memberships = new Map<number, Map<string, Flags>>();
  private readonly dirty = new Set<string>();
  /** Not dirty, but needing a placement (the DynamoDB store keeps these in the sparse index too). */
  private readonly unplaced = new Set<string>();
  /** Every successful write, in order (a test can tell what was persisted when). As on DynamoDB
   * below 100 operations, a write is all or nothing; beyond that DynamoDB splits it, we do not. */
  readonly writes: Array<{ shards: ShardChange[]; tenant?: Tenant }> = [];

  constructor(
    private readonly nodes: MemoryNodeStore,
    /** For leases taken and given up in a tenant write (createTenant's claim, saveShards' release). */
    private readonly leases?: MemoryLeaseStore,
  ) {
    nodes.homes = () => this.homeShardsByAz();
  }

  async homeShardsByAz(): Promise<Map<string, number>> {
    const homes = new Map<string, number>();
    for (const shard of this.shards.values())
      if (shard.preferredAz !== null) homes.set(shard.preferredAz, (homes.get(shard.preferredAz) ?? 0) + 1);
    return homes;
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const tenant = this.tenants.get(tenantId);
    return tenant ? copy(tenant) : undefined;
  }

  async getTenantWithShards(
    tenantId: string,
  ): Promise<{ tenant: Tenant; shards: TenantShard[] } | undefined> {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return undefined;
    const shards = [...this.shards.entries()]
      .filter(([, s]) => s.id.tenantId === tenantId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, s]) => copy(s));
    return { tenant: copy(tenant), shards };
  }

  async getShard(id: TenantShardId): Promise<TenantShard | undefined> {
    const shard = this.shards.get(shardKey(id));
    return shard ? copy(shard) : undefined;
  }

  async createTenant(
    tenant: Omit<Tenant, 'version'>,
    shards: TenantShard[],
    claim?: LeaseClaim,
  ): Promise<void> {
    if (this.tenants.has(tenant.tenantId))
      throw new VersionConflictError(`tenant ${tenant.tenantId} already exists`);
    const leases = claim ? this.leaseStore() : undefined;
    if (claim && !leases!.claimable(tenant.tenantId, claim.name, claim.owner))
      throw new VersionConflictError(`lease ${claim.name} of ${tenant.tenantId} is held`);
    const stored = { ...copy(tenant), version: 1 } as Tenant;
    this.write(
      shards.map((after) => ({ before: null, after })),
      stored,
    );
    if (claim) leases!.claimNow(tenant.tenantId, claim.name, claim.owner, claim.ttlMs);
  }

  private leaseStore(): MemoryLeaseStore {
    if (!this.leases) throw new Error('this MemoryTenantStore was built without a lease store');
    return this.leases;
  }

  async saveShards(
    changes: ShardChange[],
    tenant?: { before: Tenant; after: Tenant },
    release?: Omit<LeaseClaim, 'ttlMs'>,
  ): Promise<TenantShard[]> {
    const tenantId = tenant?.before.tenantId ?? (changes[0]?.after ?? changes[0]?.before)?.id.tenantId;
    if (release && tenantId && !this.leaseStore().heldBy(tenantId, release.name, release.owner))
      throw new VersionConflictError(`lease ${release.name} of ${tenantId} is not ${release.owner}'s`);
    if (tenant) {
      const stored = this.tenants.get(tenant.before.tenantId);
      if (!stored || stored.version !== tenant.before.version)
        throw new VersionConflictError(
          `tenant ${tenant.before.tenantId} changed since version ${tenant.before.version}`,
        );
    }
    this.write(changes, tenant && { ...copy(tenant.after), version: tenant.before.version + 1 });
    if (release && tenantId) await this.leaseStore().release(tenantId, release.name, release.owner);
    return changes
      .filter((c) => c.after)
      .map((c) => ({ ...c.after!, version: c.before ? c.before.version + 1 : 1 }));
  }

  async deleteTenantItem(tenant: Tenant): Promise<void> {
    const stored = this.tenants.get(tenant.tenantId);
    if (!stored || stored.version !== tenant.version)
      throw new VersionConflictError(`tenant ${tenant.tenantId} changed since version ${tenant.version}`);
    this.tenants.delete(tenant.tenantId);
  }

  async listTenants(limit: number, after?: string): Promise<{ tenants: Tenant[]; next?: string }> {
    const ids = [...this.tenants.keys()].filter((id) => after === undefined || id > after).sort();
    const page = ids.slice(0, limit).map((id) => copy(this.tenants.get(id)!));
    // Like a DynamoDB Query, a full page says "maybe more" even when nothing follows.
    return { tenants: page, next: page.length === limit ? page.at(-1)?.tenantId : undefined };
  }

  async nodeMemberships(nodeId: number): Promise<Membership[]> {
    const own = this.memberships.get(nodeId) ?? new Map<string, Flags>();
    return [...own.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, flags]) => ({ id: parseTenantShardId(id), ...flags }));
  }

  async listDirty(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }> {
    return pageOf([...this.dirty], limit, cursor);
  }

  async listUnsettled(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }> {
    return pageOf([...this.dirty, ...this.unplaced], limit, cursor);
  }

  async getShards(ids: TenantShardId[]): Promise<TenantShard[]> {
    const found = new Map<string, TenantShard>();
    for (const id of ids) {
      const shard = this.shards.get(shardKey(id));
      if (shard) found.set(shardKey(id), copy(shard));
    }
    return [...found.values()];
  }

  async getTenantsWithShards(tenantIds: string[]): Promise<TenantWithShards[]> {
    const found: TenantWithShards[] = [];
    for (const id of new Set(tenantIds)) {
      const whole = await this.getTenantWithShards(id);
      if (whole) found.push(whole);
    }
    return found;
  }

  async listTenantsWithShards(
    limit: number,
    after?: string,
  ): Promise<{ tenants: TenantWithShards[]; next?: string }> {
    const page = await this.listTenants(limit, after);
    return { tenants: await this.getTenantsWithShards(page.tenants.map((t) => t.tenantId)), next: page.next };
  }

  /** Test view: the shards currently in the reconcile queue. */
  dirtyIds(): string[] {
    return [...this.dirty].sort();
  }

  /**
   * One transaction: every condition is checked before anything changes, so a lost race leaves
   * the store exactly as it was.
   */
  private write(changes: ShardChange[], tenant?: Tenant): void {
    const seen = new Set<string>();
    const counters = new Map<number, { attached: number; secondary: number }>();
    for (const change of changes) {
      const id = (change.after ?? change.before)!.id;
      const key = shardKey(id);
      // DynamoDB refuses a transaction that names one item twice.
      if (seen.has(key)) throw new Error(`transaction writes shard ${formatTenantShardId(id)} twice`);
      seen.add(key);
      const stored = this.shards.get(key);
      if (change.before === null) {
        if (stored) throw new VersionConflictError(`shard ${formatTenantShardId(id)} already exists`);
      } else if (!stored || stored.version !== change.before.version) {
        throw new VersionConflictError(
          `shard ${formatTenantShardId(id)} changed since version ${change.before.version}`,
        );
      }
      for (const node of new Set([...nodesOf(change.before), ...nodesOf(change.after)])) {
        const before = membershipFlags(change.before, node);
        const after = membershipFlags(change.after, node);
        const delta = counters.get(node) ?? { attached: 0, secondary: 0 };
        delta.attached += Number(after.attached) - Number(before.attached);
        delta.secondary += Number(after.secondary) - Number(before.secondary);
        counters.set(node, delta);
      }
    }
    for (const [node, delta] of counters) {
      // A counter change needs its node item: a node dropped meanwhile fails the write.
      if ((delta.attached !== 0 || delta.secondary !== 0) && !this.nodes.has(node))
        throw new VersionConflictError(`node ${node} is not registered`);
    }

    // Conditions hold: apply everything.
    if (tenant) this.tenants.set(tenant.tenantId, tenant);
    for (const change of changes) {
      const id = (change.after ?? change.before)!.id;
      const key = shardKey(id);
      const formatted = formatTenantShardId(id);
      for (const node of new Set([...nodesOf(change.before), ...nodesOf(change.after)])) {
        const after = membershipFlags(change.after, node);
        const own = this.memberships.get(node) ?? new Map<string, Flags>();
        if (anyFlag(after)) own.set(formatted, after);
        else own.delete(formatted);
        if (own.size > 0) this.memberships.set(node, own);
        else this.memberships.delete(node);
      }
      if (change.after) {
        const version = change.before ? change.before.version + 1 : 1;
        this.shards.set(key, { ...copy(change.after), version });
        const dirty = isDirty(change.after);
        if (dirty) this.dirty.add(formatted);
        else this.dirty.delete(formatted);
        if (!dirty && needsPlacement(change.after)) this.unplaced.add(formatted);
        else this.unplaced.delete(formatted);
      } else {
        this.shards.delete(key);
        this.dirty.delete(formatted);
        this.unplaced.delete(formatted);
      }
    }
    for (const [node, delta] of counters) {
      if (delta.attached !== 0 || delta.secondary !== 0)
        this.nodes.addCounts(node, delta.attached, delta.secondary);
    }
    this.writes.push(copy({ shards: changes, tenant }));
  }
}
