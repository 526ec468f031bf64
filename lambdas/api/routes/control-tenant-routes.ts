// Tenant routes for operators (/control/v1/tenant...).
import * as z from 'zod';
import { within } from '../../app/context';
import { NotFoundError } from '../../core/errors';
import { placementPolicySchema, SHARD_SCHEDULING_POLICIES } from '../../core/model/placement-policy';
import { reconcileInline } from '../../reconciler/reconcile-many';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { locateTenant } from '../../tenants/locate-tenant';
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
    handler: async ({ params }, services) => ok(await locateTenant(services, params.tenant_id)),
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
      return ok(describeTenant(current.tenant, current.shards));
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
      const page = await services.tenants.listTenants(query.limit ?? 100, query.start_after);
      const described = [];
      for (const tenant of page.tenants) {
        const current = await services.tenants.getTenantWithShards(tenant.tenantId);
        if (current) described.push(describeTenant(current.tenant, current.shards));
      }
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
    summary:
      "Set a tenant's placement policy and/or scheduling switch (Active, Essential, Pause, Stop), persisted. Detached or Secondary placement lifts a Pause or Stop.",
    params: tenantParams,
    // Unknown fields are ignored, as the reference ignores them in TenantPolicyRequest.
    body: z.looseObject({
      placement: placementPolicySchema.nullish(),
      scheduling: z.enum(SHARD_SCHEDULING_POLICIES).nullish(),
    }),
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
