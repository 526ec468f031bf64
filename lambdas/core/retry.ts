import { VersionConflictError } from './errors';

/**
 * Re-runs a read-decide-write step when its conditional write lost a race, so concurrent
 * callers serialise through DynamoDB instead of overwriting each other. Gives up after `attempts`.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= attempts) throw error;
      // Jitter spreads out writers that collided, so they do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}

export interface Backoff {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first pause is up to this long; each further one up to twice the last, capped. */
  baseMs: number;
  capMs: number;
}

/** Exponential backoff with full jitter: writers that collided do not meet again in lockstep. */
export function jitteredPauseMs(retry: number, backoff: Backoff, random = Math.random): number {
  return random() * Math.min(backoff.capMs, backoff.baseMs * 2 ** (retry - 1));
}

/**
 * Sends the request again (`step` is told which attempt it is), after a jittered pause, while it
 * fails in a way that says it could not be applied right now (`retryable`); `onRetry` sees each
 * such failure that is retried.
 * Throws the last failure once the attempts are spent.
 */
export async function retryWithBackoff<T>(
  step: (attempt: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  backoff: Backoff,
  onRetry: (error: unknown, retry: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (!retryable(error) || attempt >= backoff.attempts) throw error;
      onRetry(error, attempt);
      await new Promise((r) => setTimeout(r, jitteredPauseMs(attempt, backoff)));
    }
  }
}
