// The TTL cache behind the deployed functions' configuration: one load per TTL, shared by callers
// at the same moment; a failed reload serves the last good value; a failed first load is not kept.
import { describe, expect, it } from 'vitest';
import { ttlCache } from '../../lambdas/app/ttl-cache';

describe('ttlCache', () => {
  it('loads once per TTL and shares a load between callers at the same moment', async () => {
    let clock = 0;
    let loads = 0;
    const get = ttlCache(async () => ++loads, { ttlMs: 100, now: () => clock });
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    clock = 99;
    expect(await get()).toBe(1);
    clock = 100;
    expect(await Promise.all([get(), get()])).toEqual([2, 2]);
    expect(loads).toBe(2);
  });

  it('serves the last good value when a reload fails, and tries again on the next call', async () => {
    let clock = 0;
    let fail = false;
    let loads = 0;
    const stale: unknown[] = [];
    const get = ttlCache(
      async () => {
        loads += 1;
        if (fail) throw new Error('throttled');
        return `v${loads}`;
      },
      { ttlMs: 10, now: () => clock, onStale: (e) => stale.push((e as Error).message) },
    );
    expect(await get()).toBe('v1');
    clock = 10;
    fail = true;
    expect(await get()).toBe('v1');
    expect(stale).toEqual(['throttled']);
    fail = false;
    expect(await get()).toBe('v3');
  });

  it('does not keep a failed first load', async () => {
    let attempt = 0;
    const get = ttlCache(
      async () => {
        attempt += 1;
        if (attempt === 1) throw new Error('cold start failed');
        return 'ok';
      },
      { ttlMs: 1000 },
    );
    await expect(get()).rejects.toThrow('cold start failed');
    expect(await get()).toBe('ok');
  });
});
