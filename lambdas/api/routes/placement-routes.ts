// Placement routes for operators: shards' preferred availability zones.
import * as z from 'zod';
import { formatTenantShardId, parseTenantShardId } from '../../core/ids';
import { setPreferredAzs } from '../../placement/set-preferred-azs';
import { json } from '../responses';
import { defineRoute, ok } from '../route';
import { tenantShardIdSchema } from '../schemas';

/** Shards per request: one request's reads and writes stay well inside the API's 30 s. */
const MAX_SHARDS = 1000;

const azName = z.string().min(1).max(128);

export const preferredAzsRoute = defineRoute({
  method: 'PUT',
  path: '/control/v1/preferred_azs',
  group: 'tenant',
  scope: 'admin',
  gated: true,
  summary: "Set (a name) or clear (null) shards' preferred availability zones: {tenant_shard_id: az|null}.",
  // Keys are tenant shard ids: any other key is an unknown field, as on every other body.
  body: z
    .record(z.string(), z.unknown())
    .superRefine((body, ctx) => {
      const keys = Object.keys(body);
      if (keys.length > MAX_SHARDS)
        ctx.addIssue({
          code: 'custom',
          message: `at most ${MAX_SHARDS} shards per request, got ${keys.length}`,
        });
      const unknown = keys.filter((key) => !tenantShardIdSchema.safeParse(key).success);
      if (unknown.length > 0) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: body });
      for (const key of keys) {
        if (unknown.includes(key)) continue;
        if (!azName.nullable().safeParse(body[key]).success)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'expected an availability zone name or null',
          });
      }
    })
    .transform((body) => body as Record<string, string | null>),
  responses: {
    200: json(
      z.strictObject({ updated: z.array(z.string()) }),
      'The shards whose preferred AZ changed (others already had it).',
    ),
  },
  handler: async ({ body }, services) => {
    const wanted = Object.entries(body).map(([key, az]) => ({ id: parseTenantShardId(key), az }));
    const updated = await setPreferredAzs(services, wanted);
    return ok({ updated: updated.map(formatTenantShardId) });
  },
});
