// Operator routes on one tenant shard (/control/v1/tenant/{tenant_shard_id}/...): cancel its
// reconcile, move its secondary location. `{tenant_id}` in the template, as beside them (API
// Gateway allows one variable name per path level), but each takes a TenantShardId.
import * as z from 'zod';
import { within } from '../../app/context';
import { NotFoundError, TimeoutError } from '../../core/errors';
import { formatTenantShardId } from '../../core/ids';
import { cancelReconcile } from '../../reconciler/cancel-reconcile';
import { reconcileWaitError } from '../../reconciler/wait-outcome';
import { migrateSecondary } from '../../tenants/migrate-secondary';
import { json, nullBody } from '../responses';
import { defineRoute, ok } from '../route';
import { nodeIdSchema, tenantShardIdSchema } from '../schemas';

/** How long cancel_reconcile waits for the reconcile to stop (the reference's short reconcile timeout). */
const CANCEL_WAIT_MS = 5_000;

const shardParams = z.object({ tenant_id: tenantShardIdSchema });

export const shardRoutes = [
  defineRoute({
    method: 'PUT',
    path: '/control/v1/tenant/{tenant_id}/cancel_reconcile',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary:
      "Cancel the shard's running reconcile or migration: 200 once it stopped (or if none ran), 408 if it is still stopping.",
    params: shardParams,
    responses: { 200: nullBody('Nothing runs for the shard now.') },
    handler: async ({ params }, services) => {
      const id = params.tenant_id;
      if (!(await services.tenants.getShard(id))) throw new NotFoundError('Tenant shard not found');
      const outcome = await cancelReconcile(services, id, within(services, CANCEL_WAIT_MS));
      if (outcome === 'still-running')
        throw new TimeoutError(
          `Timeout waiting for the reconcile of shard ${formatTenantShardId(id)} to stop (it was told to)`,
        );
      return ok(null);
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/control/v1/tenant/{tenant_id}/migrate_secondary',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary: "Move the shard's secondary location to a node: 200 {} once reconciled there.",
    params: shardParams,
    // The reference's TenantShardMigrateRequest: the path's shard counts (the body's is ignored),
    // origin_node_id and migration_config mean nothing here, and unknown fields are ignored.
    body: z.object({
      tenant_shard_id: z.string().optional(),
      node_id: nodeIdSchema,
      origin_node_id: nodeIdSchema.nullish(),
      migration_config: z.unknown().optional(),
    }),
    responses: { 200: json(z.strictObject({}), 'The secondary location is on the node.') },
    handler: async ({ params, body, requestId }, services) => {
      const outcome = await migrateSecondary(services, params.tenant_id, body.node_id, `api-${requestId}`);
      const failure = reconcileWaitError(formatTenantShardId(params.tenant_id), outcome);
      if (failure) throw failure;
      return ok({});
    },
  }),
];
