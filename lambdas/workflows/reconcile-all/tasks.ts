// Tasks of reconcile-all: page through the sparse dirty index and reconcile each shard; after a
// pass that found nothing dirty, plan and apply a few placement improvements (the optimizer).
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { formatTenantShardId, parseTenantShardId } from '../../core/ids';
import { OPTIMIZER_PLAN_LIMIT } from '../../core/optimizer';
import { isDirty, needsPlacement } from '../../core/reconcile-plan';
import { applyOptimizations, planOptimizationPass } from '../../placement/optimize';
import { placeIfUnplaced } from '../../reconciler/place-unplaced';
import { reconcileDeps, reconcileShard } from '../../reconciler/reconcile-shard';
import { findUnknownLocations } from '../../reconciler/unknown-locations';
import { recoverInterruptedSplit } from '../shard-split/recover';

const step = { shard: z.string(), version: z.number().int() };
const optimizationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('migrate'), ...step, from: z.number().int(), to: z.number().int() }),
  z.object({ kind: z.literal('create-secondary'), ...step, from: z.number().int(), node: z.number().int() }),
  z.object({ kind: z.literal('replace-secondary'), ...step, from: z.number().int(), to: z.number().int() }),
  z.object({ kind: z.literal('remove-secondary'), ...step, node: z.number().int() }),
]);

/** Page size of the dirty index: keeps each Map's input far below Step Functions' 256 KiB. */
const DIRTY_PAGE = 100;

export const reconcileAllTasks = [
  /** Locations the pageservers hold that the table does not know: learned or detached. */
  defineTask({
    name: 'FindUnknownLocations',
    input: z.looseObject({ execution: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => findUnknownLocations(context, input.execution),
  }),
  defineTask({
    name: 'ListDirty',
    input: z.looseObject({ cursor: z.string().nullish() }),
    budgetSeconds: 25,
    table: 'read',
    run: async (input, context) => {
      // Dirty shards, and those with no node intended (placed by ReconcileShard, so that a shard
      // whose node was deleted while none could take it is attached once one can).
      const page = await context.tenants.listUnsettled(DIRTY_PAGE, input.cursor ?? undefined);
      return { ids: page.ids.map(formatTenantShardId), next: page.next ?? null };
    },
  }),
  /**
   * A failed reconcile leaves the shard dirty for the next pass; it does not fail the pass.
   * `started`: the shard needed a reconcile when read (strongly), so one ran or was already
   * running (busy); a shard the stale index listed but that is settled counts for nothing.
   */
  defineTask({
    name: 'ReconcileShard',
    input: z.looseObject({ shard: z.string(), execution: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      const id = parseTenantShardId(input.shard);
      let shard = await context.tenants.getShard(id);
      // Attached by policy, but no node intended (its node was deleted when none could take it).
      if (shard && needsPlacement(shard)) shard = await placeIfUnplaced(context, id, shard);
      if (shard?.splitting) {
        const recovery = await recoverInterruptedSplit(context, id.tenantId, input.execution);
        return {
          shard: input.shard,
          status: recovery === 'aborted' || recovery === 'finished' ? 'ok' : 'busy',
          started: true,
        };
      }
      // The index is read before the pass reaches the shard: one an inline reconcile (a create,
      // say) settled meanwhile costs this read, not a lease taken and given up for nothing.
      if (!shard || (!isDirty(shard) && shard.lastError === null))
        return { shard: input.shard, status: 'ok', started: false };
      const started = isDirty(shard);
      const outcome = await reconcileShard(id, reconcileDeps(context, input.execution), context.deadline);
      // One structured line per reconcile: on AWS a CloudWatch metric filter counts the errors.
      context.log.info('reconcile', { shard: input.shard, status: outcome.status });
      return { shard: input.shard, status: outcome.status, started };
    },
  }),
  /** Adds a page's reconciles to the pass's count (POST /debug/v1/reconcile_all answers it). */
  defineTask({
    name: 'CountReconciles',
    input: z.looseObject({
      count: z.number().int().nonnegative(),
      results: z.array(z.looseObject({ started: z.boolean().optional() })),
    }),
    budgetSeconds: 15,
    table: 'none',
    run: async (input) => input.count + input.results.filter((r) => r.started === true).length,
  }),
  /** Reads only: a pass with nothing to improve writes nothing. */
  defineTask({
    name: 'PlanOptimizations',
    input: z.looseObject({}),
    budgetSeconds: 25,
    table: 'read',
    run: async (_input, context) => ({ steps: await planOptimizationPass(context) }),
  }),
  defineTask({
    name: 'ApplyOptimizations',
    input: z.looseObject({
      execution: z.string(),
      steps: z.array(optimizationSchema).max(OPTIMIZER_PLAN_LIMIT),
    }),
    budgetSeconds: 25,
    table: 'write',
    starts: ['migrate'],
    run: async (input, context) => {
      const result = await applyOptimizations(context, input.steps, input.execution);
      context.log.info('optimize', { applied: result.applied, planned: input.steps.length });
      return { applied: result.applied };
    },
  }),
];
