// Bounded retries with jittered exponential pauses.
import { describe, expect, it } from 'vitest';
import { jitteredPauseMs, retryWithBackoff } from '../../lambdas/core/retry';

const backoff = { attempts: 4, baseMs: 10, capMs: 25 };

describe('jittered backoff', () => {
  it('pauses up to base·2^(n-1), capped, and anywhere below it', () => {
    expect([1, 2, 3, 4].map((n) => jitteredPauseMs(n, backoff, () => 0.999999))).toEqual([
      expect.closeTo(10, 3),
      expect.closeTo(20, 3),
      expect.closeTo(25, 3),
      expect.closeTo(25, 3),
    ]);
    expect(jitteredPauseMs(3, backoff, () => 0)).toBe(0);
    expect(jitteredPauseMs(2, backoff, () => 0.5)).toBe(10);
  });

  it('tries a retryable failure again up to the attempts, reporting each retry, then throws it', async () => {
    const seen: number[] = [];
    let calls = 0;
    const error = await retryWithBackoff(
      async () => {
        calls += 1;
        throw new Error(`try ${calls}`);
      },
      () => true,
      backoff,
      (_, retry) => seen.push(retry),
    ).catch((e: Error) => e);
    expect(calls).toBe(4);
    expect(seen).toEqual([1, 2, 3]);
    expect((error as Error).message).toBe('try 4');
  });

  it('returns the first success and never retries what is not retryable', async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('busy');
        return 'done';
      },
      (e) => (e as Error).message === 'busy',
      backoff,
    );
    expect([result, calls]).toEqual(['done', 3]);
    calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw new Error('fatal');
        },
        (e) => (e as Error).message === 'busy',
        backoff,
      ),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
  });
});
