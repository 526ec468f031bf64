// Workflow tasks of the shard split: thin wrappers over its steps.
import * as z from 'zod';
import type { AppContext } from '../../app/context';
import { defineTask } from '../../app/task';
import { MAX_U8, parseTenantShardId } from '../../core/ids';
import { RejectedError } from '../../core/workflow-errors';
import { holdsTenantOperation } from '../../leases/tenant-operation';
import { markNotificationPending } from '../../notifications/mark-pending';
import { notifyTenant } from '../../notifications/notify-tenant';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { abortSplit, beginSplit, commitSplit, splitParent } from './steps';

const splitInput = z.looseObject({
  tenant_id: z.string(),
  new_shard_count: z.number().int().min(1).max(MAX_U8),
  new_stripe_size: z.number().int().positive().nullish(),
  execution: z.string(),
});

/** Refuses to act for an execution that no longer holds the tenant (taken over after a crash). */
async function fence(context: AppContext, tenantId: string, execution: string): Promise<void> {
  if (!(await holdsTenantOperation(context.leases, tenantId, execution)))
    throw new RejectedError(`split ${execution} no longer holds tenant ${tenantId}; it was taken over`);
}
const target = z.object({ parent: z.string(), node: z.number().int(), children: z.array(z.string()) });

export const splitTasks = [
  defineTask({
    name: 'BeginSplit',
    input: splitInput,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.tenant_id, input.execution);
      return beginSplit(context, input);
    },
  }),
  defineTask({
    name: 'SplitParent',
    input: z.looseObject({
      target,
      new_shard_count: z.number().int().min(1).max(MAX_U8),
      execution: z.string(),
    }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      const tenantId = parseTenantShardId(input.target.parent).tenantId;
      await fence(context, tenantId, input.execution);
      // Checked again before every attempt: a retry must not split what recovery took over.
      await splitParent(context, input.target, input.new_shard_count, () =>
        holdsTenantOperation(context.leases, tenantId, input.execution),
      );
      return null;
    },
  }),
  defineTask({
    name: 'CommitSplit',
    input: splitInput,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.tenant_id, input.execution);
      return commitSplit(context, input);
    },
  }),
  defineTask({
    name: 'AbortSplit',
    input: splitInput.extend({ new_stripe_size: z.number().int().positive().nullish() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      // Taken over after a crash: recovery aborts (or finishes) the split, not this zombie.
      if (!(await holdsTenantOperation(context.leases, input.tenant_id, input.execution))) return null;
      await abortSplit(context, input, input.execution);
      return null;
    },
  }),
  /** Failures only leave the pending flag: the split itself is done. */
  defineTask({
    name: 'NotifySplit',
    input: z.looseObject({ tenant_id: z.string(), execution: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
      const outcome = await notifyTenant(
        input.tenant_id,
        reconcileDeps(context, input.execution),
        nodes,
        context.deadline,
      );
      if (outcome.status === 'failed')
        await markNotificationPending(context.tenants, input.tenant_id).catch(() => undefined);
      return { notification: outcome.status };
    },
  }),
];
