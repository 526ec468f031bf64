import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patchTenantConfig } from '../../lambdas/core/model/tenant';

describe('a tenant config patch', () => {
  it('removes keys set to null, sets keys with a value, keeps the others', () => {
    expect(
      patchTenantConfig(
        { pitr_interval: '1m', gc_period: '2h' },
        { gc_period: null, checkpoint_distance: 5 },
      ),
    ).toEqual({ pitr_interval: '1m', checkpoint_distance: 5 });
  });

  it('is the identity when empty, and does not change its inputs', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd');
    const value = fc.oneof(fc.constant(null), fc.integer(), fc.string());
    fc.assert(
      fc.property(fc.dictionary(key, fc.integer()), fc.dictionary(key, value), (current, patch) => {
        const before = JSON.stringify([current, patch]);
        const next = patchTenantConfig(current, patch);
        expect(JSON.stringify([current, patch])).toBe(before);
        expect(patchTenantConfig(current, {})).toEqual(current);
        for (const k of ['a', 'b', 'c', 'd']) {
          if (!(k in patch)) expect(next[k]).toBe(current[k]);
          else if (patch[k] === null) expect(k in next).toBe(false);
          else expect(next[k]).toBe(patch[k]);
        }
      }),
    );
  });
});
