// A task's deadlines come from its budget: the context it runs with ends at its code budget from
// the start of the invocation, below its Lambda's timeout, and the work inside stops by it.
import { beforeEach, describe, expect, it } from 'vitest';
import { runTask } from '../../lambdas/app/task';
import { formatTenantShardId } from '../../lambdas/core/ids';
import { attachedConf } from '../../lambdas/core/model/location-config';
import { shardIdentity } from '../../lambdas/core/model/tenant-shard';
import type { ComputeNotification } from '../../lambdas/core/ports';
import { timeoutChain } from '../../lambdas/core/timeouts';
import { TASKS } from '../../lambdas/tasks/registry';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
});

describe('task deadlines', () => {
  it('ReconcileShard stops at its code budget, not at a deadline of its own past its Lambda timeout', async () => {
    // Attach on 1, secondaries on 2 and 3: three calls of 0.7 s, of which two start within 1 s.
    const { shards } = await seedTenant(w.tenants, { attached: [1], secondary: [[2, 3]] });
    w.pageservers.intercept(async (call) => {
      if (call.method === 'putLocationConfig') await new Promise((r) => setTimeout(r, 700));
    });
    // A budget whose code budget is 1 s (the reserve is the rest).
    const budgetSeconds = 11;
    expect(timeoutChain('task', budgetSeconds).codeBudgetMs).toBe(1_000);
    const result = await runTask(
      { ...TASKS.ReconcileShard!, budgetSeconds },
      { shard: formatTenantShardId(shards[0]!.id), execution: 'reconcile-all-test' },
      w.context,
    );
    expect(result).toEqual({ shard: formatTenantShardId(shards[0]!.id), status: 'timeout', started: true });
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' }).length).toBeLessThan(3);
  });

  it("NotifySplit gives the compute hook the task's deadline", async () => {
    const { tenant, shards } = await seedTenant(w.tenants, {
      attached: [1],
      shape: (s) => ({
        ...s,
        generationPageserver: 1,
        observed: { '1': attachedConf(shardIdentity(s), s.config, s.generation) },
      }),
    });
    expect(shards).toHaveLength(1);
    const deadlines: number[] = [];
    const deliver = w.computeHook.notify.bind(w.computeHook);
    w.computeHook.notify = (notification: ComputeNotification, deadline: number) => {
      deadlines.push(deadline);
      return deliver(notification, deadline);
    };
    const startedAt = Date.now() - 2_000;
    await runTask(
      TASKS.NotifySplit!,
      { tenant_id: tenant.tenantId, execution: 'split-test' },
      w.context,
      startedAt,
    );
    expect(deadlines).toEqual([
      startedAt + timeoutChain('task', TASKS.NotifySplit!.budgetSeconds).codeBudgetMs,
    ]);
  });
});
