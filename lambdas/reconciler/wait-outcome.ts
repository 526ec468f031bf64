// What an API call that waited for a reconcile answers when it did not finish, as the reference
// does (wire-formats.md §6.6): the pageserver not reached within the budget (or the shard held by
// another reconcile until then) is a timeout, 408; a pageserver that refused, or a cancelled
// reconcile, is a reconcile error, 500. Either way the change is persisted and reconcile-all
// finishes it.
import { type ApiError, InternalError, TimeoutError } from '../core/errors';
import type { ReconcileOutcome } from './reconcile-shard';

export function reconcileWaitError(shard: string, outcome: ReconcileOutcome): ApiError | null {
  switch (outcome.status) {
    case 'ok':
      return null;
    case 'timeout':
    case 'busy':
      return new TimeoutError(`Timeout waiting for shard ${shard}`);
    case 'cancelled':
      return new InternalError(`Reconcile error on shard ${shard}: cancelled`);
    case 'error':
      return outcome.unreachable
        ? new TimeoutError(`Timeout waiting for shard ${shard}: ${outcome.message}`)
        : new InternalError(`Reconcile error on shard ${shard}: ${outcome.message}`);
  }
}
