// Workflow tasks of a live migration: thin wrappers over its steps.
import * as z from 'zod';
import type { AppContext } from '../../app/context';
import { defineTask } from '../../app/task';
import { parseTenantShardId } from '../../core/ids';
import { shardLease } from '../../core/leases';
import { CancelledError, RejectedError } from '../../core/workflow-errors';
import { abortMigration } from './abort';
import {
  attachDestination,
  beginMigration,
  checkCatchUp,
  checkWarm,
  finishMigration,
  notifyMigration,
  prepareSecondary,
  releaseMigration,
  staleOrigin,
} from './steps';

/**
 * Refuses to act for an execution that no longer holds its shard: after a crash a reconcile (or
 * another migration) may have released the dead execution's lease and taken the shard, and a task
 * still running for it (a zombie) must then leave the shard alone.
 */
async function fence(
  context: AppContext,
  shard: string,
  execution: string,
  /** Before the cut-over an operator's cancel_reconcile stops the migration (it aborts). */
  cancellable = false,
): Promise<void> {
  const id = parseTenantShardId(shard);
  const holder = await context.leases.holder(id.tenantId, shardLease(id));
  if (holder?.owner !== execution)
    throw new RejectedError(`migration ${execution} no longer holds shard ${shard}; it was taken over`);
  if (cancellable && holder.cancelled)
    throw new CancelledError(`migration ${execution} of shard ${shard} was cancelled by an operator`);
}

/** Whether the execution still holds its shard (an abort of a taken-over migration does nothing). */
async function holdsShard(context: AppContext, shard: string, execution: string): Promise<boolean> {
  const id = parseTenantShardId(shard);
  return (await context.leases.holder(id.tenantId, shardLease(id)))?.owner === execution;
}

const migrationInput = z.looseObject({
  shard: z.string(),
  node_id: z.number().int(),
  execution: z.string(),
  origin_node_id: z.number().int().nullish(),
});
const migrationState = migrationInput.extend({ origin: z.number().int().nullable(), noop: z.boolean() });

export const migrateTasks = [
  defineTask({
    name: 'BeginMigration',
    input: migrationInput.extend({
      request: z
        .looseObject({
          origin_node_id: z.number().int().nullish(),
          migration: z
            .looseObject({
              prewarm: z.boolean(),
              override_scheduler: z.boolean(),
              warmup_ms: z.number().int().nonnegative(),
              download_ms: z.number().int().nonnegative(),
            })
            .nullish(),
        })
        .optional(),
    }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => beginMigration(context, input),
  }),
  defineTask({
    name: 'StaleOrigin',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution, true);
      return staleOrigin(context, input);
    },
  }),
  defineTask({
    name: 'AttachDestination',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution, true);
      return attachDestination(context, input);
    },
  }),
  defineTask({
    name: 'CheckCatchUp',
    input: migrationState.extend({ baseline: z.record(z.string(), z.string()), deadline: z.number() }),
    budgetSeconds: 25,
    table: 'read',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution, true);
      return checkCatchUp(context, input);
    },
  }),
  defineTask({
    name: 'PrepareSecondary',
    input: migrationState.extend({ warmup_ms: z.number().int().nonnegative() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution, true);
      return prepareSecondary(context, input);
    },
  }),
  defineTask({
    name: 'CheckWarm',
    input: migrationState.extend({
      warm_deadline: z.number(),
      download_ms: z.number().int().nonnegative(),
    }),
    // One download request per poll, cut to the code budget (15 s).
    budgetSeconds: 25,
    table: 'read',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution, true);
      return checkWarm(context, input);
    },
  }),
  defineTask({
    name: 'NotifyMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution);
      return notifyMigration(context, input);
    },
  }),
  defineTask({
    name: 'FinishMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await fence(context, input.shard, input.execution);
      return finishMigration(context, input);
    },
  }),
  defineTask({
    name: 'ReleaseMigration',
    input: migrationInput,
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => releaseMigration(context, input),
  }),
  defineTask({
    name: 'AbortMigration',
    input: migrationState,
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) =>
      (await holdsShard(context, input.shard, input.execution))
        ? abortMigration(context, input)
        : { attached: null },
  }),
];
