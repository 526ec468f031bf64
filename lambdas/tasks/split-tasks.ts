// Workflow tasks of the shard split: thin wrappers over the operations.
import type { Services } from '../api/services';
import type { SplitTarget } from '../core/split-plan';
import { notifyTenant } from '../operations/notify-compute';
import {
  abortSplit,
  type BeginSplitInput,
  beginSplit,
  commitSplit,
  splitParent,
} from '../operations/shard-split';

export const splitTasks = {
  BeginSplit: (input: BeginSplitInput, services: Services) => beginSplit(services, input),
  SplitParent: async (input: { target: SplitTarget; new_shard_count: number }, services: Services) => {
    await splitParent(services, input.target, input.new_shard_count);
    return null;
  },
  CommitSplit: (input: BeginSplitInput, services: Services) => commitSplit(services, input),
  AbortSplit: async (input: BeginSplitInput & { execution: string }, services: Services) => {
    await abortSplit(services, input, input.execution);
    return null;
  },
  /** Failures only leave the pending flag: the split itself is done. */
  NotifySplit: async (input: { tenant_id: string; execution: string }, services: Services) => {
    const nodes = new Map((await services.nodes.list()).map((n) => [n.id, n]));
    const outcome = await notifyTenant(
      input.tenant_id,
      { ...services, owner: input.execution, metrics: services.metrics.reconcileMetrics() },
      nodes,
      Date.now() + 10_000,
    );
    if (outcome.status === 'failed') {
      const latest = await services.tenants.getTenantWithShards(input.tenant_id);
      if (latest) {
        await services.tenants
          .saveShards(
            latest.shards.map((before) => ({
              before,
              after: { ...before, pendingComputeNotification: true },
            })),
          )
          .catch(() => undefined);
      }
    }
    return { notification: outcome.status };
  },
};
