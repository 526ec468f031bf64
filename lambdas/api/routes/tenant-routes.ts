// The "virtual pageserver" API (/v1/tenant...): the control plane manages whole tenants here as
// if the controller were one pageserver.
import * as z from 'zod';
import { BadRequestError, NotFoundError } from '../../core/errors';
import { DEFAULT_STRIPE_SIZE, formatTenantShardId, isU32, MAX_U8, parseTenantShardId } from '../../core/ids';
import { LOCATION_MODES } from '../../core/model/location-config';
import { DEFAULT_PLACEMENT_POLICY, placementPolicySchema } from '../../core/model/placement-policy';
import { createAndPlaceTenant } from '../../tenants/create-tenant';
import { deleteTenant } from '../../tenants/delete-tenant';
import { patchTenantConfigOf, setTenantConfig } from '../../tenants/tenant-config';
import { tenantLocationConfig } from '../../tenants/tenant-location-config';
import { timeTravel } from '../../tenants/time-travel';
import { createTimeline, deleteTimeline } from '../../timelines/timelines';
import { deletionResponses, retryDeletion } from '../deletion-polling';
import { passthroughGet, relayed } from '../passthrough';
import {
  tenantConfigGetOut,
  tenantCreateOut,
  tenantLocationConfigOut,
  timelineInfoOut,
} from '../response-schemas';
import { json, nullBody } from '../responses';
import { created, defineRoute, ok } from '../route';
import { tenantIdSchema, timelineIdSchema } from '../schemas';
import {
  nestedTenantConfigSchema,
  pickTenantConfig,
  renderTenantConfig,
  tenantConfigShape,
} from '../tenant-config-schema';

const tenantParams = z.object({ tenant_id: tenantIdSchema });
const timelineParams = z.object({ tenant_id: tenantIdSchema, timeline_id: timelineIdSchema });
const u32 = z.number().int().refine(isU32, 'expected an unsigned 32-bit integer');
const lsnString = z.string().regex(/^[0-9a-fA-F]{1,8}\/[0-9a-fA-F]{1,8}$/, 'expected an LSN like 0/169AD58');

const createBody = z
  .object({
    new_tenant_id: z.string(),
    generation: u32.nullish(),
    shard_parameters: z
      .object({
        count: z.number().int().min(0).max(MAX_U8),
        stripe_size: z.number().int().positive().refine(isU32, 'expected an unsigned 32-bit integer'),
      })
      .strict()
      .nullish(),
    placement_policy: placementPolicySchema.nullish(),
    ...tenantConfigShape,
  })
  .strict();

const locationConfigBody = z
  .object({
    tenant_id: z.string(),
    mode: z.enum(LOCATION_MODES),
    generation: u32.nullish(),
    secondary_conf: z.object({ warm: z.boolean() }).strict().nullish(),
    shard_number: z.number().int().min(0).max(MAX_U8).nullish(),
    shard_count: z.number().int().min(0).max(MAX_U8).nullish(),
    shard_stripe_size: z.number().int().nonnegative().nullish(),
    tenant_conf: nestedTenantConfigSchema,
  })
  .strict();

/** TenantConfigRequest: the tenant and its config keys at the top level, strict as the reference. */
const tenantConfigBody = z
  .object({ tenant_id: tenantIdSchema, ...tenantConfigShape })
  .strict()
  .transform(({ tenant_id, ...config }) => ({ tenantId: tenant_id, config }));

const locationConfigQuery = z
  .object({ flush_ms: z.string().regex(/^\d+$/).optional(), lazy: z.enum(['true', 'false']).optional() })
  .strict();

// Not strict in the reference (wire-formats.md §4.5): fields newer control planes send are passed
// over, not refused, and (as the reference re-encodes the request) not forwarded: z.object strips.
const timelineCreateBody = z.object({
  new_timeline_id: timelineIdSchema,
  ancestor_timeline_id: timelineIdSchema.nullish(),
  existing_initdb_timeline_id: timelineIdSchema.nullish(),
  ancestor_start_lsn: lsnString.nullish(),
  pg_version: z.number().int().positive().nullish(),
});

const timeTravelQuery = z
  .object({ travel_to: z.string().optional(), done_if_after: z.string().optional() })
  .strict();
const timeTravelBody = z
  .object({ shard_counts: z.array(z.number().int().min(0).max(MAX_U8)).min(1) })
  .strict();

/** A body's tenant id that must be the whole (unsharded) tenant: 400 naming the field otherwise. */
function unshardedTenantId(text: string, field: string, shardedMessage: string): string {
  let id: ReturnType<typeof parseTenantShardId>;
  try {
    id = parseTenantShardId(text);
  } catch (error) {
    throw new BadRequestError(`body field '${field}': ${(error as Error).message}`);
  }
  if (id.count !== 0) throw new BadRequestError(shardedMessage);
  return id.tenantId;
}

export const tenantRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/tenant',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: 'Create a tenant with all its shards (201; 409 if it exists).',
    body: createBody,
    responses: { 201: json(tenantCreateOut, 'Created: every shard with its node and generation.') },
    handler: async ({ body, requestId }, services) => {
      const tenantId = unshardedTenantId(
        body.new_tenant_id,
        'new_tenant_id',
        'Attempted to create a specific shard, this API is for creating the whole tenant',
      );
      const shards = await createAndPlaceTenant(
        services,
        {
          tenantId,
          generation: body.generation ?? 0,
          shardCount: body.shard_parameters?.count ?? 0,
          stripeSize: body.shard_parameters?.stripe_size ?? DEFAULT_STRIPE_SIZE,
          policy: body.placement_policy ?? DEFAULT_PLACEMENT_POLICY,
          config: pickTenantConfig(body),
        },
        `api-${requestId}`,
      );
      return created({
        shards: shards.map((s) => ({
          shard_id: formatTenantShardId(s.id),
          node_id: s.intent.attached,
          generation: s.generation,
        })),
      });
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/tenant/{tenant_id}/location_config',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: 'Import, attach, make secondary or detach a tenant (the cloud control plane API).',
    params: tenantParams,
    query: locationConfigQuery,
    body: locationConfigBody,
    responses: { 200: json(tenantLocationConfigOut, 'The shards now attached somewhere, with their nodes.') },
    handler: async ({ params, body, requestId }, services) => {
      unshardedTenantId(
        body.tenant_id,
        'tenant_id',
        'This API is for importing single-sharded or unsharded tenants',
      );
      const shards = await tenantLocationConfig(services, params.tenant_id, {
        mode: body.mode,
        generation: body.generation ?? null,
        config: pickTenantConfig(body.tenant_conf),
        owner: `api-${requestId}`,
      });
      return ok({
        shards: shards
          .filter((s) => s.intent.attached !== null)
          .map((s) => ({ shard_id: formatTenantShardId(s.id), node_id: s.intent.attached })),
      });
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/tenant/config',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: "Replace a tenant's config (keys left out are unset) and apply it on every shard's pageservers.",
    body: tenantConfigBody,
    responses: { 200: nullBody('Persisted, and reconciled to the pageservers as far as time allowed.') },
    handler: async ({ body, requestId }, services) => {
      await setTenantConfig(services, body.tenantId, pickTenantConfig(body.config), `api-${requestId}`);
      return ok(null);
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/tenant/config',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary:
      "Patch a tenant's config (a key set to null is removed, keys left out are kept) and apply it on every shard's pageservers.",
    body: tenantConfigBody,
    responses: { 200: nullBody('Persisted, and reconciled to the pageservers as far as time allowed.') },
    handler: async ({ body, requestId }, services) => {
      await patchTenantConfigOf(services, body.tenantId, body.config, `api-${requestId}`);
      return ok(null);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tenant/{tenant_id}/config',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary:
      "A tenant's config as the controller keeps it (the same under both keys: no global defaults here).",
    params: tenantParams,
    responses: { 200: json(tenantConfigGetOut, 'The config, every key present (null when unset).') },
    handler: async ({ params }, services) => {
      const tenant = await services.tenants.getTenant(params.tenant_id);
      if (!tenant) throw new NotFoundError('Tenant not found');
      const config = renderTenantConfig(tenant.config);
      return ok({ tenant_specific_overrides: config, effective_config: config });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/tenant/{tenant_id}',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary:
      'Delete a tenant from its pageservers, then its records (200 when gone; 409 if not done in time).',
    params: tenantParams,
    responses: deletionResponses,
    handler: async ({ params }, services) =>
      retryDeletion(() => deleteTenant(services, params.tenant_id), services.deadline),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/tenant/{tenant_id}/timeline',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: 'Create a timeline on every shard: shard zero first, then the others (201).',
    params: tenantParams,
    body: timelineCreateBody,
    responses: { 201: json(timelineInfoOut, "Created on every shard: shard zero's TimelineInfo.") },
    handler: async ({ params, body, requestId }, services) =>
      created(await createTimeline(services, params.tenant_id, body, `api-${requestId}`)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/tenant/{tenant_id}/timeline/{timeline_id}',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: 'Delete a timeline on every shard: the others first, shard zero last (200 when gone).',
    params: timelineParams,
    responses: deletionResponses,
    handler: async ({ params }, services) =>
      retryDeletion(() => deleteTimeline(services, params.tenant_id, params.timeline_id), services.deadline),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/tenant/{tenant_id}/time_travel_remote_storage',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: "Roll a detached tenant's remote storage back in time, for every shard count it had.",
    params: tenantParams,
    query: timeTravelQuery,
    body: timeTravelBody,
    responses: { 200: nullBody('Remote storage rolled back.') },
    handler: async ({ params, query, body, requestId }, services) => {
      await timeTravel(
        services,
        params.tenant_id,
        query.travel_to,
        query.done_if_after,
        body.shard_counts,
        `api-${requestId}`,
      );
      return ok(null);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/tenant/{tenant_id}',
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: 'Tenant status, from the pageserver holding shard zero.',
    params: tenantParams,
    responses: relayed,
    handler: async ({ params, rawPath, rawQueryString }, services) =>
      passthroughGet(services, params.tenant_id, rawPath, rawQueryString),
  }),
  relayedGet('/v1/tenant/{tenant_id}/timeline', 'Timeline list', tenantParams),
  // Any GET below the list is relayed. API Gateway allows one variable name per path level, so
  // the level below `timeline/` is `{timeline_id}` here as for DELETE (every pageserver route
  // there takes a TimelineId), and what lies deeper is `{proxy+}`.
  relayedGet('/v1/tenant/{tenant_id}/timeline/{timeline_id}', 'Timeline detail', timelineParams),
  relayedGet(
    '/v1/tenant/{tenant_id}/timeline/{timeline_id}/{proxy+}',
    'Any timeline GET below a timeline',
    timelineParams.extend({ proxy: z.string() }),
  ),
];

/** A GET relayed as is to the pageserver holding the tenant's shard zero. */
function relayedGet<P extends z.ZodObject<{ tenant_id: typeof tenantIdSchema }>>(
  path: string,
  what: string,
  params: P,
) {
  return defineRoute({
    method: 'GET',
    path,
    group: 'tenant',
    scope: 'pageserverapi',
    gated: true,
    summary: `${what}, from the pageserver holding shard zero.`,
    params,
    query: z.record(z.string(), z.string()),
    responses: relayed,
    handler: async ({ params, rawPath, rawQueryString }, services) =>
      passthroughGet(services, (params as { tenant_id: string }).tenant_id, rawPath, rawQueryString),
  });
}
