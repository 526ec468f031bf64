// Bounded concurrency: never more than `limit` steps in flight, results in input order,
// whatever order the steps finish in. Steps yield a random number of microtask turns, so the
// interleavings vary without any timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachLimited, mapLimited } from '../../lambdas/core/concurrency';

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

describe('mapLimited', () => {
  it('keeps at most `limit` in flight, uses the limit when there is work, and keeps order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          let inFlight = 0;
          let peak = 0;
          const results = await mapLimited(delays, limit, async (delay, index) => {
            inFlight += 1;
            peak = Math.max(peak, inFlight);
            await ticks(delay);
            inFlight -= 1;
            return `${index}:${delay}`;
          });
          expect(peak).toBeLessThanOrEqual(limit);
          expect(peak).toBe(Math.min(limit, delays.length));
          expect(results).toEqual(delays.map((d, i) => `${i}:${d}`));
        },
      ),
    );
  });

  it('runs every item once', async () => {
    const seen: number[] = [];
    await forEachLimited([5, 3, 1, 4, 2], 2, async (n) => {
      await ticks(n);
      seen.push(n);
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('rejects when a step fails', async () => {
    const run = mapLimited([1, 2, 3], 2, async (n) => {
      await ticks(n);
      if (n === 2) throw new Error('step 2 failed');
      return n;
    });
    await expect(run).rejects.toThrow('step 2 failed');
  });

  it('answers an empty list with an empty list', async () => {
    expect(await mapLimited([], 4, async () => 1)).toEqual([]);
  });
});
