// Operator and test-harness routes under /debug/v1.
import * as z from 'zod';
import { InternalError } from '../../core/errors';
import { maySchedule } from '../../core/model/node';
import { attachHook } from '../../debug/attach-hook';
import { consistencyCheck } from '../../debug/consistency-check';
import { dropNode, dropTenant } from '../../debug/drop';
import { allTenants } from '../../tenants/all-tenants';
import { locateTenant } from '../../tenants/locate-tenant';
import { dumpShard } from '../render';
import {
  attachHookOut,
  inspectOut,
  schedulerDumpOut,
  shardDumpOut,
  tenantLocateOut,
} from '../response-schemas';
import { json, nullBody } from '../responses';
import { defineRoute, ok } from '../route';
import { nodeIdParams, nodeIdSchema, tenantIdSchema, tenantShardIdSchema } from '../schemas';

export const debugRoutes = [
  defineRoute({
    method: 'POST',
    path: '/debug/v1/node/{node_id}/drop',
    group: 'debug',
    scope: 'admin',
    summary: 'Forget a node without rescheduling its shards.',
    params: nodeIdParams,
    responses: { 200: nullBody('Forgotten.') },
    handler: async ({ params }, services) => {
      await dropNode(services, params.node_id);
      return ok(null);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/debug/v1/tenant/{tenant_id}/drop',
    group: 'debug',
    scope: 'pageserverapi',
    summary: 'Forget a tenant without touching pageservers.',
    params: z.object({ tenant_id: tenantIdSchema }),
    responses: { 200: nullBody('Forgotten.') },
    handler: async ({ params }, services) => {
      await dropTenant(services, params.tenant_id);
      return ok(null);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/debug/v1/tenant/{tenant_id}/locate',
    group: 'debug',
    scope: 'admin',
    summary: "Where each shard is attached, with the pageservers' addresses (as /control/v1/.../locate).",
    params: z.object({ tenant_id: tenantIdSchema }),
    responses: { 200: json(tenantLocateOut, 'Where each shard is attached.') },
    handler: async ({ params }, services) => ok(await locateTenant(services, params.tenant_id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/debug/v1/attach-hook',
    group: 'debug',
    scope: 'admin',
    summary: 'Test hook: issue a generation for a shard on a node, or detach it (node_id null).',
    body: z.looseObject({ tenant_shard_id: tenantShardIdSchema, node_id: nodeIdSchema.nullable() }),
    responses: { 200: json(attachHookOut, 'The generation issued, or null after a detach.') },
    handler: async ({ body }, services) =>
      ok({ gen: await attachHook(services, body.tenant_shard_id, body.node_id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/debug/v1/inspect',
    group: 'debug',
    scope: 'admin',
    summary: "Test hook: a shard's [generation, attached node], or null.",
    body: z.looseObject({ tenant_shard_id: tenantShardIdSchema }),
    responses: { 200: json(inspectOut, 'The attachment, or null.') },
    handler: async ({ body }, services) => {
      const shard = await services.tenants.getShard(body.tenant_shard_id);
      const attachment =
        shard && shard.intent.attached !== null ? [shard.generation, shard.intent.attached] : null;
      return ok({ attachment });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/debug/v1/tenant',
    group: 'debug',
    scope: 'admin',
    summary: 'Dump every tenant shard.',
    responses: { 200: json(z.array(shardDumpOut), 'Every shard, dumped (unstable shape).') },
    handler: async (_request, services) =>
      ok((await allTenants(services.tenants)).flatMap(({ shards }) => shards.map(dumpShard))),
  }),
  defineRoute({
    method: 'GET',
    path: '/debug/v1/scheduler',
    group: 'debug',
    scope: 'admin',
    summary: "Dump the scheduler's view: per node, its load and whether it takes new shards.",
    responses: { 200: json(schedulerDumpOut, "The scheduler's view (unstable shape).") },
    handler: async (_request, services) => {
      const nodes = await services.nodes.list();
      return ok({
        nodes: Object.fromEntries(
          nodes.map((n) => [
            String(n.id),
            {
              shard_count: n.attachedCount + n.secondaryCount,
              attached_count: n.attachedCount,
              secondary_count: n.secondaryCount,
              may_schedule: maySchedule(n),
            },
          ]),
        ),
      });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/debug/v1/consistency_check',
    group: 'debug',
    scope: 'admin',
    summary: 'Recompute node counters and memberships from the shards; 500 listing each mismatch.',
    responses: { 200: nullBody('Consistent.') },
    handler: async (_request, services) => {
      const problems = await consistencyCheck(services);
      if (problems.length > 0) throw new InternalError(`Consistency check failed: ${problems.join('; ')}`);
      return ok(null);
    },
  }),
];
