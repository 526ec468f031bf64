import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareTenantShardIds,
  DEFAULT_STRIPE_SIZE,
  FormatError,
  formatLsn,
  formatShardIndex,
  formatTenantShardId,
  isUnsharded,
  parseLsn,
  parseNodeId,
  parseShardIndex,
  parseTenantId,
  parseTenantShardId,
  shardCountOf,
  shardsOfCount,
  splitChildren,
  type TenantShardId,
} from '../../lambdas/core/ids';

const hexId = fc.stringMatching(/^[0-9a-f]{32}$/);
/** A valid shard: legacy (0/0) or number < count. */
const shardId: fc.Arbitrary<TenantShardId> = fc.oneof(
  hexId.map((tenantId) => ({ tenantId, number: 0, count: 0 })),
  fc
    .tuple(hexId, fc.integer({ min: 1, max: 255 }))
    .chain(([tenantId, count]) =>
      fc.integer({ min: 0, max: count - 1 }).map((number) => ({ tenantId, number, count })),
    ),
);

describe('tenant and timeline ids', () => {
  it('accepts any-case hex and prints lowercase', () => {
    expect(parseTenantId('0123456789ABCDEF0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
  });

  it('rejects wrong lengths and non-hex characters with a message naming the input', () => {
    expect(() => parseTenantId('0123')).toThrow(/tenant id '0123'/);
    expect(() => parseTenantId('g123456789abcdef0123456789abcdef')).toThrow(FormatError);
  });
});

describe('TenantShardId', () => {
  it('round-trips: parse(format(x)) == x', () => {
    fc.assert(
      fc.property(shardId, (id) => {
        expect(parseTenantShardId(formatTenantShardId(id))).toEqual(id);
      }),
    );
  });

  it('prints the legacy form without a suffix and others with -NNCC', () => {
    const t = '1f359dd625e519a1a4e8d7509690f6fc';
    expect(formatTenantShardId({ tenantId: t, number: 0, count: 0 })).toBe(t);
    expect(formatTenantShardId({ tenantId: t, number: 1, count: 2 })).toBe(`${t}-0102`);
    expect(formatTenantShardId({ tenantId: t, number: 7, count: 10 })).toBe(`${t}-070a`);
    // A one-shard tenant is not the legacy tenant.
    expect(formatTenantShardId({ tenantId: t, number: 0, count: 1 })).toBe(`${t}-0001`);
    expect(isUnsharded(parseTenantShardId(`${t}-0001`))).toBe(false);
    expect(isUnsharded(parseTenantShardId(t))).toBe(true);
  });

  it('rejects malformed ids, including a missing separator and number >= count', () => {
    const t = '1f359dd625e519a1a4e8d7509690f6fc';
    for (const bad of [`${t}x0102`, `${t}-01`, `${t}-0202`, `${t}-zz02`, `${t}-0100`, '', `${t}-`]) {
      expect(() => parseTenantShardId(bad), bad).toThrow(FormatError);
    }
  });

  it('orders by tenant, then number, then count', () => {
    fc.assert(
      fc.property(shardId, shardId, (a, b) => {
        const c = compareTenantShardIds(a, b);
        expect(Math.sign(c)).toBe(-Math.sign(compareTenantShardIds(b, a)));
        if (a.tenantId !== b.tenantId) expect(c < 0).toBe(a.tenantId < b.tenantId);
        else if (a.number !== b.number) expect(c < 0).toBe(a.number < b.number);
        else expect(c < 0).toBe(a.count < b.count);
      }),
    );
  });

  it('makes the lexical order of NNCC shard indexes equal the shard order within a tenant', () => {
    fc.assert(
      fc.property(shardId, shardId, (a, b) => {
        const byIndex = formatShardIndex(a).localeCompare(formatShardIndex(b));
        const byOrder = compareTenantShardIds({ ...a, tenantId: 'x' }, { ...b, tenantId: 'x' });
        expect(Math.sign(byIndex)).toBe(Math.sign(byOrder));
      }),
    );
  });

  it('round-trips shard indexes', () => {
    fc.assert(
      fc.property(shardId, (id) => {
        expect(parseShardIndex(formatShardIndex(id))).toEqual({ number: id.number, count: id.count });
      }),
    );
  });
});

describe('split children', () => {
  const t = '1f359dd625e519a1a4e8d7509690f6fc';
  const ids = (xs: TenantShardId[]) => xs.map(formatTenantShardId);

  it('follows the reference examples', () => {
    expect(ids(splitChildren({ tenantId: t, number: 0, count: 0 }, 2))).toEqual([`${t}-0002`, `${t}-0102`]);
    expect(ids(splitChildren({ tenantId: t, number: 1, count: 4 }, 8))).toEqual([`${t}-0108`, `${t}-0508`]);
    expect(ids(splitChildren({ tenantId: t, number: 1, count: 2 }, 4))).toEqual([`${t}-0104`, `${t}-0304`]);
  });

  it('partitions the new count exactly among the parents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 2, max: 8 }), (oldCount, factor) => {
        const newCount = shardCountOf(oldCount) * factor;
        const children = shardsOfCount(t, oldCount).flatMap((parent) => {
          const kids = splitChildren(parent, newCount);
          for (const kid of kids) {
            expect(kid.count).toBe(newCount);
            expect(kid.number % shardCountOf(oldCount)).toBe(parent.number);
          }
          // ascending within one parent
          expect(kids.map((k) => k.number)).toEqual([...kids.map((k) => k.number)].sort((a, b) => a - b));
          return kids;
        });
        expect(children.map((c) => c.number).sort((a, b) => a - b)).toEqual(
          Array.from({ length: newCount }, (_, i) => i),
        );
      }),
    );
  });

  it('refuses to split to the same or a lower count', () => {
    expect(() => splitChildren({ tenantId: t, number: 0, count: 4 }, 4)).toThrow(FormatError);
    expect(() => splitChildren({ tenantId: t, number: 0, count: 0 }, 1)).toThrow(FormatError);
  });
});

describe('Lsn', () => {
  it('round-trips any u64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (lsn) => {
        expect(parseLsn(formatLsn(lsn))).toBe(lsn);
      }),
    );
  });

  it('prints upper-case halves without padding', () => {
    expect(formatLsn(0n)).toBe('0/0');
    expect(formatLsn(0x169ad58n)).toBe('0/169AD58');
    expect(formatLsn(0x1_0000_0028n)).toBe('1/28');
    expect(parseLsn(' 0/169ad58 ')).toBe(0x169ad58n);
  });

  it('rejects slash-less and oversized values', () => {
    for (const bad of ['169AD58', '1/2/3', '100000000/0', '/1', 'x/1'])
      expect(() => parseLsn(bad), bad).toThrow();
  });
});

describe('other scalars', () => {
  it('parses node ids as decimal integers only', () => {
    expect(parseNodeId('7')).toBe(7);
    for (const bad of ['-1', '1.5', 'abc', '', '99999999999999999'])
      expect(() => parseNodeId(bad), bad).toThrow();
  });

  it('defaults the stripe to 256 MiB of 8 KiB pages', () => {
    expect(DEFAULT_STRIPE_SIZE * 8192).toBe(256 * 1024 * 1024);
  });
});
