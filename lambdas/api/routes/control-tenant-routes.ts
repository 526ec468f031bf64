// Tenant routes for operators (/control/v1/tenant...).
import * as z from 'zod';
import { within } from '../../app/context';
import { BadRequestError, InternalError, NotFoundError } from '../../core/errors';
import { formatTenantShardId } from '../../core/ids';
import { placementPolicySchema, SHARD_SCHEDULING_POLICIES } from '../../core/model/placement-policy';
import { reconcilingShards } from '../../reconciler/in-flight';
import { reconcileInline } from '../../reconciler/reconcile-many';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { rescheduleTenant } from '../../tenants/reschedule-tenant';
import { describeTenant } from '../render';
import { tenantDescribeOut, tenantLocateOut } from '../response-schemas';
import { json, nullBody } from '../responses';
import { defineRoute, ok } from '../route';
import { limitParam, tenantIdSchema } from '../schemas';

const tenantParams = z.object({ tenant_id: tenantIdSchema });

export const controlTenantRoutes = [
  defineRoute({
    method: 'GET',
    path: '/control/v1/tenant/{tenant_id}/locate',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary: "Where each shard is attached, with the pageservers' addresses.",
    params: tenantParams,
    responses: { 200: json(tenantLocateOut, 'Where each shard is attached.') },
    handler: async ({ params }, services) => {
      const current = await services.tenants.getTenantWithShards(params.tenant_id);
      if (!current || current.shards.length === 0)
        throw new NotFoundError('No shards for this tenant ID found');
      const nodes = new Map((await services.nodes.list()).map((n) => [n.id, n]));
      const shards = current.shards.map((s) => {
        if (s.intent.attached === null)
          throw new BadRequestError('Cannot locate a tenant that is not attached');
        const node = nodes.get(s.intent.attached);
        if (!node) throw new InternalError(`Node ${s.intent.attached} is not registered`);
        return {
          shard_id: formatTenantShardId(s.id),
          node_id: node.id,
          listen_http_addr: node.listenHttpAddr,
          listen_http_port: node.listenHttpPort,
          listen_pg_addr: node.listenPgAddr,
          listen_pg_port: node.listenPgPort,
        };
      });
      const zero = current.shards[0]!;
      if (current.shards.some((s) => s.stripeSize !== zero.stripeSize)) {
        throw new InternalError('Inconsistent shard stripe size parameters!');
      }
      return ok({ shards, shard_params: { count: zero.id.count, stripe_size: zero.stripeSize } });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/tenant/{tenant_id}',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary: "Describe a tenant: each shard's placement, errors and flags.",
    params: tenantParams,
    responses: { 200: json(tenantDescribeOut, 'The tenant, described.') },
    handler: async ({ params }, services) => {
      const current = await services.tenants.getTenantWithShards(params.tenant_id);
      if (!current) throw new NotFoundError(`Tenant ${params.tenant_id} not found`);
      const reconciling = await reconcilingShards(
        services.leases,
        current.shards.map((s) => s.id),
      );
      return ok(describeTenant(current.tenant, current.shards, reconciling));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/tenant',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary: 'List tenants, described, a page at a time (?limit=&start_after=).',
    query: z
      .object({
        limit: limitParam.optional(),
        start_after: tenantIdSchema.optional(),
      })
      .strict(),
    responses: {
      200: json(
        z.array(tenantDescribeOut),
        'A page of tenants; header x-next-start-after names the next page.',
      ),
    },
    handler: async ({ query }, services) => {
      const page = await services.tenants.listTenantsWithShards(query.limit ?? 100, query.start_after);
      const reconciling = await reconcilingShards(
        services.leases,
        page.tenants.flatMap((t) => t.shards.map((s) => s.id)),
      );
      const described = page.tenants.map((t) => describeTenant(t.tenant, t.shards, reconciling));
      const headers: Record<string, string> = page.next ? { 'x-next-start-after': page.next } : {};
      return { status: 200, body: described, headers };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/control/v1/tenant/{tenant_id}/policy',
    group: 'tenant',
    scope: 'admin',
    gated: true,
    summary: "Set a tenant's placement policy and/or scheduling switch (persisted).",
    params: tenantParams,
    body: z
      .object({
        placement: placementPolicySchema.nullish(),
        scheduling: z.enum(SHARD_SCHEDULING_POLICIES).nullish(),
      })
      .strict(),
    responses: { 200: nullBody('Persisted, and reconciled as far as time allowed.') },
    handler: async ({ params, body, requestId }, services) => {
      const { shards } = await rescheduleTenant(
        services,
        params.tenant_id,
        { policy: body.placement ?? undefined, schedulingPolicy: body.scheduling ?? undefined },
        () => services.metrics.schedulingErrors.inc(),
      );
      await reconcileInline(
        shards.map((s) => s.id),
        reconcileDeps(services, `api-${requestId}`),
        within(services, services.inlineReconcileMs),
      );
      return ok(null);
    },
  }),
];
