import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newestWithin } from '../../lambdas/core/fit-payload';

describe('newestWithin', () => {
  it('keeps everything that fits', () => {
    expect(newestWithin([{ a: 1 }, { b: 2 }], 1_000)).toEqual({ kept: [{ a: 1 }, { b: 2 }], omitted: 0 });
  });

  it('leaves out the oldest items first', () => {
    const items = Array.from({ length: 10 }, (_, id) => ({ id, pad: 'x'.repeat(90) }));
    const { kept, omitted } = newestWithin(items, 500);
    expect(kept.at(-1)).toEqual(items[9]);
    expect(omitted).toBe(10 - kept.length);
    expect(kept).toEqual(items.slice(omitted));
  });

  it('always fits its budget, and keeps as many of the newest as fit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.string())),
        fc.integer({ min: 2, max: 2_000 }),
        (items, budget) => {
          const { kept, omitted } = newestWithin(items, budget);
          expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(budget);
          expect(kept).toEqual(items.slice(omitted));
          if (omitted > 0)
            expect(Buffer.byteLength(JSON.stringify(items.slice(omitted - 1)))).toBeGreaterThan(budget);
        },
      ),
    );
  });
});
