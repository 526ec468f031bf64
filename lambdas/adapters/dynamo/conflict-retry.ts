// DynamoDB refuses a write whose item another transaction in flight holds: a transaction is
// cancelled (TransactionCanceledException, reason TransactionConflict), a single-item write fails
// (TransactionConflictException). Either way nothing was written, and neither the SDK's retry
// strategy nor DynamoDB retries it. Every write here is conditional on what its caller read, so the
// same request (or an equivalent one: tenant-store.ts moves its counter deltas to another counter
// item) is safe to send again: its conditions are evaluated afresh, and a real lost race then
// surfaces as ConditionalCheckFailed for the caller's read-decide-write loop.
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import type { ConflictMetrics } from '../../app/metrics-registry';
import { TransactionConflictError } from '../../core/errors';
import { type Backoff, retryWithBackoff } from '../../core/retry';

/**
 * Pauses of up to 20, 40, 80 … 640 ms, then 1 s: on DynamoDB, where a transaction is in flight for
 * tens of milliseconds, the first retries find the item free; under sustained contention (or a
 * slow DynamoDB Local) the request keeps trying for up to about 4 s in all, half that on average,
 * well inside any request's or task's budget.
 */
export const CONFLICT_BACKOFF: Backoff = { attempts: 10, baseMs: 20, capMs: 1_000 };

/** A refusal for a transaction conflict alone (a failed condition is the caller's to handle). */
export function isTransactionConflict(error: unknown): boolean {
  if (error instanceof TransactionConflictException) return true;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code);
  return codes.includes('TransactionConflict') && !codes.includes('ConditionalCheckFailed');
}

/** Sends a write, again while it meets a transaction conflict; TransactionConflictError when spent. */
export async function sendThroughConflicts<T>(
  request: 'transaction' | 'write',
  send: (attempt: number) => Promise<T>,
  metrics?: ConflictMetrics,
  backoff: Backoff = CONFLICT_BACKOFF,
): Promise<T> {
  try {
    return await retryWithBackoff(
      async (attempt) => {
        try {
          return await send(attempt);
        } catch (error) {
          if (isTransactionConflict(error)) metrics?.conflict(request);
          throw error;
        }
      },
      isTransactionConflict,
      backoff,
      () => metrics?.retry(request),
    );
  } catch (error) {
    if (!isTransactionConflict(error)) throw error;
    throw new TransactionConflictError(
      `DynamoDB ${request} kept meeting concurrent transactions (${backoff.attempts} attempts)`,
      { cause: error },
    );
  }
}
