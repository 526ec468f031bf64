// DynamoDB refuses a write whose item another transaction in flight holds: a transaction is
// cancelled (TransactionCanceledException, reason TransactionConflict), a single-item write fails
// (TransactionConflictException). Either way nothing was written, and neither the SDK's retry
// strategy nor DynamoDB retries it. Every write here is conditional on what its caller read, so the
// very same request is safe to send again: its conditions are evaluated afresh, and a real lost
// race then surfaces as ConditionalCheckFailed for the caller's read-decide-write loop.
import { TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import type { ConflictMetrics } from '../../app/metrics-registry';
import { TransactionConflictError } from '../../core/errors';
import { type Backoff, retryWithBackoff } from '../../core/retry';

/**
 * Pauses of up to 10, 20, 40, 80, 160, 200, 200 ms: about 0.7 s at worst, a small part of any
 * request's budget, and several times a transaction's own duration.
 */
export const CONFLICT_BACKOFF: Backoff = { attempts: 8, baseMs: 10, capMs: 200 };

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
  send: () => Promise<T>,
  metrics?: ConflictMetrics,
  backoff: Backoff = CONFLICT_BACKOFF,
): Promise<T> {
  try {
    return await retryWithBackoff(
      async () => {
        try {
          return await send();
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
