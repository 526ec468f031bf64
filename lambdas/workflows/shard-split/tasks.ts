// Workflow tasks of the shard split: thin wrappers over its steps.
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { MAX_U8 } from '../../core/ids';
import { markNotificationPending } from '../../notifications/mark-pending';
import { notifyTenant } from '../../notifications/notify-tenant';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { abortSplit, beginSplit, commitSplit, splitParent } from './steps';

const splitInput = z.looseObject({
  tenant_id: z.string(),
  new_shard_count: z.number().int().min(1).max(MAX_U8),
  new_stripe_size: z.number().int().positive().nullish(),
});
const target = z.object({ parent: z.string(), node: z.number().int(), children: z.array(z.string()) });

export const splitTasks = [
  defineTask({
    name: 'BeginSplit',
    input: splitInput,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => beginSplit(context, input),
  }),
  defineTask({
    name: 'SplitParent',
    input: z.looseObject({ target, new_shard_count: z.number().int().min(1).max(MAX_U8) }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await splitParent(context, input.target, input.new_shard_count);
      return null;
    },
  }),
  defineTask({
    name: 'CommitSplit',
    input: splitInput,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => commitSplit(context, input),
  }),
  defineTask({
    name: 'AbortSplit',
    input: splitInput.extend({ execution: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
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
        Date.now() + 10_000,
      );
      if (outcome.status === 'failed')
        await markNotificationPending(context.tenants, input.tenant_id).catch(() => undefined);
      return { notification: outcome.status };
    },
  }),
];
