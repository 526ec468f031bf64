// LeaseStore in memory: owner and absolute expiry, checked against an injectable clock, with the
// DynamoDB store's rule: free, expired (strictly before now) or already the caller's.
import type { LeaseStore } from '../../../lambdas/core/ports';

export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(tenantId: string, name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = `${tenantId}/${name}`;
    const now = this.now();
    const held = this.leases.get(key);
    if (held && held.expiresAt >= now && held.owner !== owner) return false;
    this.leases.set(key, { owner, expiresAt: now + ttlMs });
    return true;
  }

  async release(tenantId: string, name: string, owner: string): Promise<void> {
    const key = `${tenantId}/${name}`;
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }

  /** Test view: who holds a lease now (undefined when free or expired). */
  holder(tenantId: string, name: string): string | undefined {
    const held = this.leases.get(`${tenantId}/${name}`);
    return held && held.expiresAt >= this.now() ? held.owner : undefined;
  }
}
