// Calls from pageservers (/upcall/v1), with their own scope.
import * as z from 'zod';
import { formatTenantShardId } from '../../core/ids';
import { reAttach } from '../../nodes/re-attach';
import { reAttachOut, validateOut } from '../response-schemas';
import { json } from '../responses';
import { defineRoute, ok } from '../route';
import { nodeIdSchema, tenantShardIdSchema } from '../schemas';

const reAttachBody = z.object({ node_id: nodeIdSchema }).strict();
const validateBody = z
  .object({
    tenants: z
      .array(z.object({ id: tenantShardIdSchema, gen: z.number().int().nonnegative() }).strict())
      .max(10_000),
  })
  .strict();

export const upcallRoutes = [
  defineRoute({
    method: 'POST',
    path: '/upcall/v1/re-attach',
    group: 'upcall',
    scope: 'generations_api',
    summary:
      'Pageserver start-up: marks the node Active and returns the shards to attach, in new generations.',
    body: reAttachBody,
    responses: { 200: json(reAttachOut, 'The shards to attach, each in a new generation.') },
    handler: async ({ body }, services) => ok({ tenants: await reAttach(services, body.node_id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/upcall/v1/validate',
    group: 'upcall',
    scope: 'generations_api',
    summary:
      "Pageserver deletion queue: is each (shard, generation) still the shard's latest? Unknown shards are valid.",
    body: validateBody,
    responses: { 200: json(validateOut, 'Per shard, whether its generation is still the latest.') },
    handler: async ({ body }, services) => {
      // Strongly consistent reads of the shard items themselves.
      const tenants = await Promise.all(
        body.tenants.map(async ({ id, gen }) => {
          const shard = await services.tenants.getShard(id);
          return { id: formatTenantShardId(id), valid: !shard || shard.generation === gen };
        }),
      );
      return ok({ tenants });
    },
  }),
];
