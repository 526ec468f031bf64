// Lease names: operations exclude each other only when they use the same name, so the names must
// be distinct where exclusion is not wanted and equal where it is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOTIFY_LEASE, shardLease, TENANT_OPERATION_LEASE } from '../../lambdas/core/leases';

const T = '1f359dd625e519a1a4e8d7509690f6fc';

describe('lease names', () => {
  it('names a shard lease by its shard index', () => {
    expect(shardLease({ tenantId: T, number: 1, count: 2 })).toBe('SHARD#0102');
    expect(shardLease({ tenantId: T, number: 0, count: 0 })).toBe('SHARD#0000');
  });

  it('gives distinct shards distinct leases, and never a tenant-wide name', () => {
    const index = fc.record({
      number: fc.integer({ min: 0, max: 255 }),
      count: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(index, index, (a, b) => {
        const la = shardLease({ tenantId: T, ...a });
        const lb = shardLease({ tenantId: T, ...b });
        expect(la === lb).toBe(a.number === b.number && a.count === b.count);
        expect([TENANT_OPERATION_LEASE, NOTIFY_LEASE]).not.toContain(la);
      }),
    );
  });

  it('keeps the tenant operation and the notifier apart', () => {
    expect(TENANT_OPERATION_LEASE).not.toBe(NOTIFY_LEASE);
  });
});
