// LeaseStore in memory: owner and absolute expiry, checked against an injectable clock, with the
// DynamoDB store's rules: a lease is free, expired (strictly before now) or already the caller's;
// a shard lease is refused while another owner holds the tenant's OPERATION lease.
import { formatTenantShardId, type TenantShardId } from '../../../lambdas/core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../../../lambdas/core/leases';
import type { LeaseHolder, LeaseStore } from '../../../lambdas/core/ports';

export class MemoryLeaseStore implements LeaseStore {
  /** `${tenantId}/${name}` → holder */
  private readonly leases = new Map<string, { owner: string; expiresAt: number; cancelled?: true }>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(tenantId: string, name: string, now: number) {
    const held = this.leases.get(`${tenantId}/${name}`);
    return held && held.expiresAt >= now ? held : undefined;
  }

  async acquire(tenantId: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const held = this.live(tenantId, name, now);
    if (held && held.owner !== owner) return false;
    this.leases.set(`${tenantId}/${name}`, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async acquireShard(id: TenantShardId, owner: string, ttlMs: number, under?: string): Promise<boolean> {
    const now = this.now();
    const operation = this.live(id.tenantId, TENANT_OPERATION_LEASE, now);
    if (operation && (under === undefined || operation.owner !== under)) return false;
    return this.acquire(id.tenantId, shardLease(id), owner, ttlMs);
  }

  async acquireShards(
    tenantId: string,
    shards: Array<{ id: TenantShardId; owner: string }>,
    ttlMs: number,
    under?: string,
  ): Promise<boolean> {
    const now = this.now();
    const operation = this.live(tenantId, TENANT_OPERATION_LEASE, now);
    if (operation && (under === undefined || operation.owner !== under)) return false;
    const taken = shards.some(({ id, owner }) => {
      const held = this.live(tenantId, shardLease(id), now);
      return held && held.owner !== owner;
    });
    if (taken) return false;
    for (const { id, owner } of shards) await this.acquire(tenantId, shardLease(id), owner, ttlMs);
    return true;
  }

  async shardHolders(tenantId: string): Promise<LeaseHolder[]> {
    const now = this.now();
    // Shard lease names are `SHARD#<index>` (core/leases.ts).
    const prefix = `${tenantId}/SHARD#`;
    return [...this.leases.entries()]
      .filter(([key, held]) => key.startsWith(prefix) && held.expiresAt >= now)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, held]) => ({ name: key.slice(tenantId.length + 1), ...held }));
  }

  /** Whether `owner` could take the lease now (free, expired, or its own). */
  claimable(tenantId: string, name: string, owner: string): boolean {
    const held = this.live(tenantId, name, this.now());
    return !held || held.owner === owner;
  }

  /** Takes the lease without the checks (a tenant store's write checked claimable first). */
  claimNow(tenantId: string, name: string, owner: string, ttlMs: number): void {
    this.leases.set(`${tenantId}/${name}`, { owner, expiresAt: this.now() + ttlMs });
  }

  heldBy(tenantId: string, name: string, owner: string): boolean {
    return this.leases.get(`${tenantId}/${name}`)?.owner === owner;
  }

  async release(tenantId: string, name: string, owner: string): Promise<void> {
    const key = `${tenantId}/${name}`;
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }

  async holder(tenantId: string, name: string): Promise<LeaseHolder | undefined> {
    const held = this.live(tenantId, name, this.now());
    return held ? { name, ...held } : undefined;
  }

  async shardHoldersOf(ids: TenantShardId[]): Promise<Array<{ id: TenantShardId; holder: LeaseHolder }>> {
    const found = new Map<string, { id: TenantShardId; holder: LeaseHolder }>();
    for (const id of ids) {
      const holder = await this.holder(id.tenantId, shardLease(id));
      if (holder) found.set(formatTenantShardId(id), { id, holder });
    }
    return [...found.values()];
  }

  async cancel(tenantId: string, name: string, owner: string): Promise<boolean> {
    const held = this.live(tenantId, name, this.now());
    if (held?.owner !== owner) return false;
    held.cancelled = true;
    return true;
  }
}
