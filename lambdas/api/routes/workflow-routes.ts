// Routes that start workflows (the operator's view of executions is in execution-routes.ts).
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { parseHumanDuration } from '../../core/duration';
import {
  BadRequestError,
  ConflictError,
  InternalError,
  NotFoundError,
  PreconditionFailedError,
  TimeoutError,
} from '../../core/errors';
import { executionName } from '../../core/execution-names';
import { formatTenantShardId, isU32, MAX_U8 } from '../../core/ids';
import { CATCH_UP_MS, originMismatch, resolveMigrationOptions } from '../../core/migration-config';
import { maySchedule } from '../../core/model/node';
import { worseMigrationReason } from '../../core/optimizer';
import { schedulerNode } from '../../core/scheduler';
import { planSplit } from '../../core/split-plan';
import { WORKFLOW_ERRORS } from '../../core/workflow-errors';
import { executionIdOut, shardSplitOut, workflowExecutionOut } from '../response-schemas';
import { json, stillRunning } from '../responses';
import { defineRoute, ok } from '../route';
import { nodeIdSchema, tenantIdSchema, tenantShardIdSchema } from '../schemas';
import { awaitExecution, executionFailure, executionPath, stillRunningReply } from '../workflow-reply';

export const shardSplitRoute = defineRoute({
  method: 'PUT',
  path: '/control/v1/tenant/{tenant_id}/shard_split',
  group: 'tenant',
  scope: 'admin',
  gated: true,
  summary: 'Split every shard of a tenant: 200 with the new shards, or 202 with the execution while it runs.',
  params: z.object({ tenant_id: tenantIdSchema }),
  // Unknown fields are ignored: the reference's split requests are not strict (wire-formats.md §4.4).
  body: z.looseObject({
    new_shard_count: z.number().int().min(1).max(MAX_U8),
    new_stripe_size: z
      .number()
      .int()
      .positive()
      .refine(isU32, 'expected an unsigned 32-bit integer')
      .nullish(),
  }),
  responses: { 200: json(shardSplitOut, 'Split: every child shard.'), 202: stillRunning },
  handler: async ({ params, body }, services) => {
    const current = await services.tenants.getTenantWithShards(params.tenant_id);
    if (!current) throw new NotFoundError(`Tenant ${params.tenant_id} not found`);
    // Refuse at once what the workflow would refuse; a finished split answers with its children.
    const plan = planSplit(current.shards, body.new_shard_count, body.new_stripe_size);
    if (plan.kind === 'done') return ok({ new_shards: plan.newShards });
    const name = executionName('split', [params.tenant_id, body.new_shard_count]);
    const { id } = await services.workflows.start('shard-split', name, {
      tenant_id: params.tenant_id,
      new_shard_count: body.new_shard_count,
      new_stripe_size: body.new_stripe_size ?? null,
    });
    const execution = await awaitExecution(services, id);
    if (execution?.status === 'SUCCEEDED') return ok(execution.output);
    if (execution?.status === 'RUNNING') return stillRunningReply(id);
    const { error, message: cause } = executionFailure(execution);
    if (error === WORKFLOW_ERRORS.Rejected) throw new BadRequestError(cause);
    if (error === WORKFLOW_ERRORS.LeaseBusy || error === WORKFLOW_ERRORS.PageserverRefused) {
      throw new ConflictError(cause);
    }
    throw new ConflictError(`Failed to split tenant ${params.tenant_id}: ${cause}`);
  },
});

/** A duration as the reference writes it ("300s", "5m", "250ms"), in milliseconds. */
const durationSchema = z.string().transform((text, ctx) => {
  const ms = parseHumanDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s" or "5m", got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

/**
 * The reference's TenantShardMigrateRequest: the path's shard counts (the body's tenant_shard_id
 * is ignored), and unknown fields are ignored, as the reference's serde does.
 */
const migrateBody = z.object({
  tenant_shard_id: z.string().optional(),
  node_id: nodeIdSchema,
  origin_node_id: nodeIdSchema.nullish(),
  migration_config: z
    .object({
      prewarm: z.boolean().nullish(),
      override_scheduler: z.boolean().nullish(),
      secondary_warmup_timeout: durationSchema.nullish(),
      secondary_download_request_timeout: durationSchema.nullish(),
    })
    .nullish(),
});

export const migrateRoute = defineRoute({
  method: 'PUT',
  // `{tenant_id}`, as beside it (API Gateway allows one variable name per path level), but it
  // takes a TenantShardId: a sharded tenant's shard, or an unsharded tenant's id.
  path: '/control/v1/tenant/{tenant_id}/migrate',
  group: 'tenant',
  scope: 'admin',
  gated: true,
  summary:
    "Move one shard's attachment to a node by live migration (with migration_config.prewarm, via a warm secondary there first): 200 {} when done, 202 while it runs.",
  params: z.object({ tenant_id: tenantShardIdSchema }),
  body: migrateBody,
  responses: { 200: json(z.strictObject({}), 'Migrated.'), 202: stillRunning },
  handler: async ({ params, body }, services) => {
    const options = resolveMigrationOptions(body.migration_config);
    if ('problem' in options) throw new BadRequestError(options.problem);
    const shard = await services.tenants.getShard(params.tenant_id);
    if (!shard) throw new NotFoundError('Tenant shard not found');
    const node = await services.nodes.get(body.node_id);
    if (!node) throw new NotFoundError('Node not registered');
    if (!maySchedule(node)) {
      throw new BadRequestError(
        `Node ${node.id} cannot take shards (availability ${node.availability}, scheduling ${node.scheduling})`,
      );
    }
    if (shard.policy.kind !== 'Attached') {
      throw new BadRequestError(`Cannot migrate a tenant that is PlacementPolicy::${shard.policy.kind}`);
    }
    if (!body.migration_config?.override_scheduler) {
      const origin =
        shard.intent.attached === null ? undefined : await services.nodes.get(shard.intent.attached);
      const why = worseMigrationReason(shard, origin && schedulerNode(origin), schedulerNode(node));
      if (why)
        throw new PreconditionFailedError(
          `Migration to a worse-scoring node: ${why}; set migration_config.override_scheduler to move it anyway`,
        );
    }
    const tsid = formatTenantShardId(shard.id);
    // Checked again under the shard's lease when the workflow begins (PreconditionFailed).
    const mismatch = originMismatch(tsid, body.origin_node_id, shard.intent.attached);
    if (mismatch) throw new ConflictError(mismatch);
    const { id } = await services.workflows.start('migrate', executionName('migrate', [tsid, node.id]), {
      shard: tsid,
      node_id: node.id,
      origin_node_id: body.origin_node_id ?? null,
      migration: {
        prewarm: options.prewarm,
        override_scheduler: options.overrideScheduler,
        warmup_ms: options.warmupMs,
        download_ms: options.downloadRequestMs,
      },
      // Catch-up is bounded from when it can start: after the warm-up, with prewarm.
      deadline: Date.now() + CATCH_UP_MS + (options.prewarm ? options.warmupMs : 0),
    });
    const execution = await awaitExecution(services, id);
    if (execution?.status === 'SUCCEEDED') return ok({});
    if (execution?.status === 'RUNNING') return stillRunningReply(id);
    const { error, message: cause } = executionFailure(execution);
    if (error === WORKFLOW_ERRORS.PreconditionFailed) throw new ConflictError(cause);
    if (error === WORKFLOW_ERRORS.Rejected) throw new BadRequestError(cause);
    throw new ConflictError(`Migration of ${tsid} to node ${node.id} failed and was rolled back: ${cause}`);
  },
});

export const workflowRoutes = [
  defineRoute({
    method: 'POST',
    path: '/debug/v1/reconcile_all',
    group: 'debug',
    scope: 'admin',
    summary:
      'Run one reconcile-all pass now and wait for it: the number of reconciles it started or found running (0 when idle).',
    responses: {
      200: json(
        z.number().int().nonnegative(),
        'Reconciles started (or running) in the pass; 0: nothing to do.',
      ),
    },
    handler: async (_request, services) => {
      const { id } = await services.workflows.start('reconcile-all', executionName('reconcile-all', []), {
        cursor: null,
      });
      const execution = await awaitExecution(services, id);
      if (execution?.status === 'SUCCEEDED') {
        const parsed = z.object({ reconciles: z.number().int().nonnegative() }).safeParse(execution.output);
        if (!parsed.success)
          throw new InternalError(`reconcile-all ${id} answered ${JSON.stringify(execution.output)}`);
        return ok(parsed.data.reconciles);
      }
      // As the reference when its reconciles outlast the wait: work remains; the pass goes on.
      if (execution?.status === 'RUNNING') {
        const error = new TimeoutError(
          `Timeout waiting for reconcile-all (it goes on: ${executionPath(id)})`,
        );
        error.headers.location = executionPath(id);
        throw error;
      }
      throw new InternalError(`reconcile-all failed: ${executionFailure(execution).message}`);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/debug/v1/startup_reconcile',
    group: 'debug',
    scope: 'admin',
    summary: 'Run startup reconciliation now; 200 with the execution when done, 202 while it runs.',
    responses: {
      200: json(z.union([workflowExecutionOut, executionIdOut]), 'Finished: the execution.'),
      202: json(workflowExecutionOut, 'Still running: the execution so far.'),
    },
    handler: async (_request, services) => {
      const meta = await services.meta.get();
      // Re-marks the current epoch ready: an on-demand run never makes the service unready.
      const epoch = meta.startupEpoch ?? randomUUID();
      const { id } = await services.workflows.start(
        'startup-reconcile',
        executionName('startup-manual', []),
        {
          epoch,
        },
      );
      const execution = await awaitExecution(services, id);
      if (execution?.status === 'RUNNING') return { ...stillRunningReply(id), body: execution };
      return { status: 200, body: execution ?? { execution_id: id } };
    },
  }),
];
