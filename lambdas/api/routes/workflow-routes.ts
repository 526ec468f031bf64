// Routes that start workflows, and the operator's view of executions.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { BadRequestError, ConflictError, NotFoundError, PreconditionFailedError } from '../../core/errors';
import { executionName } from '../../core/execution-names';
import { formatTenantShardId, isU32, MAX_U8 } from '../../core/ids';
import { maySchedule } from '../../core/model/node';
import { worseMigrationReason } from '../../core/optimizer';
import { schedulerNode } from '../../core/scheduler';
import { planSplit } from '../../core/split-plan';
import { WORKFLOW_ERRORS } from '../../core/workflow-errors';
import { executionIdOut, shardSplitOut, workflowDetailOut, workflowExecutionOut } from '../response-schemas';
import { json, stillRunning } from '../responses';
import { defineRoute, ok } from '../route';
import { limitParam, nodeIdSchema, tenantIdSchema, tenantShardIdSchema } from '../schemas';
import { awaitExecution, executionFailure, stillRunningReply } from '../workflow-reply';

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

/** How long a migration's destination may take to catch up before the migration aborts. */
const CATCH_UP_BUDGET_MS = 5 * 60_000;

export const migrateRoute = defineRoute({
  method: 'PUT',
  // `{tenant_id}`, as beside it (API Gateway allows one variable name per path level), but it
  // takes a TenantShardId: a sharded tenant's shard, or an unsharded tenant's id.
  path: '/control/v1/tenant/{tenant_id}/migrate',
  group: 'tenant',
  scope: 'admin',
  gated: true,
  summary: "Move one shard's attachment to a node by live migration: 200 {} when done, 202 while it runs.",
  params: z.object({ tenant_id: tenantShardIdSchema }),
  body: z
    .object({
      tenant_shard_id: z.string().optional(),
      node_id: nodeIdSchema,
      migration_config: z
        .object({
          /** Move even to a worse-scoring node (outside the preferred AZ, overloaded). */
          override_scheduler: z.boolean().optional(),
        })
        .strict()
        .nullish(),
    })
    .strict(),
  responses: { 200: json(z.strictObject({}), 'Migrated.'), 202: stillRunning },
  handler: async ({ params, body }, services) => {
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
    const { id } = await services.workflows.start('migrate', executionName('migrate', [tsid, node.id]), {
      shard: tsid,
      node_id: node.id,
      deadline: Date.now() + CATCH_UP_BUDGET_MS,
    });
    const execution = await awaitExecution(services, id);
    if (execution?.status === 'SUCCEEDED') return ok({});
    if (execution?.status === 'RUNNING') return stillRunningReply(id);
    const { error, message: cause } = executionFailure(execution);
    if (error === WORKFLOW_ERRORS.Rejected) throw new BadRequestError(cause);
    throw new ConflictError(`Migration of ${tsid} to node ${node.id} failed and was rolled back: ${cause}`);
  },
});

export const workflowRoutes = [
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
  defineRoute({
    method: 'GET',
    path: '/debug/v1/workflows',
    group: 'debug',
    scope: 'admin',
    summary: 'Recent workflow executions (?status=RUNNING|SUCCEEDED|FAILED|ABORTED|TIMED_OUT&limit=).',
    query: z
      .object({
        status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']).optional(),
        limit: limitParam.optional(),
      })
      .strict(),
    responses: { 200: json(z.array(workflowExecutionOut), 'Executions, most recent first.') },
    handler: async ({ query }, services) =>
      ok(await services.workflows.list({ status: query.status, limit: query.limit ?? 50 })),
  }),
  defineRoute({
    method: 'GET',
    path: '/debug/v1/workflows/{execution_id}',
    group: 'debug',
    scope: 'admin',
    summary: 'One execution with its event history.',
    params: z.object({ execution_id: z.string().min(1).max(2048) }),
    responses: { 200: json(workflowDetailOut, 'The execution and its event history.') },
    handler: async ({ params }, services) => {
      const execution = await services.workflows.describe(params.execution_id);
      if (!execution) throw new NotFoundError(`Execution ${params.execution_id} not found`);
      return ok({ ...execution, history: await services.workflows.history(params.execution_id) });
    },
  }),
];
