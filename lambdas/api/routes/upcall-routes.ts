// Calls from pageservers (/upcall/v1), with their own scope.
import * as z from 'zod';
import { formatTenantShardId } from '../../core/ids';
import { reAttachUpcall } from '../../nodes/re-attach-upcall';
import { reAttachOut, validateOut } from '../response-schemas';
import { json } from '../responses';
import { defineRoute, ok } from '../route';
import { nodeIdSchema, nodeRegisterBody, nodeRegistration, tenantShardIdSchema } from '../schemas';

// Newer pageservers add fields (empty_local_disk, and more to come): the reference ignores what it
// does not know in these bodies, and so do we. empty_local_disk is accepted and not acted on, as
// the reference does unless started with --handle-ps-local-disk-loss.
const reAttachBody = z.looseObject({
  node_id: nodeIdSchema,
  register: nodeRegisterBody.nullish(),
  empty_local_disk: z.boolean().nullish(),
});
const validateBody = z.looseObject({
  tenants: z
    .array(z.looseObject({ id: tenantShardIdSchema, gen: z.number().int().nonnegative() }))
    .max(10_000),
});

export const upcallRoutes = [
  defineRoute({
    method: 'POST',
    path: '/upcall/v1/re-attach',
    group: 'upcall',
    scope: 'generations_api',
    summary:
      'Pageserver start-up: registers the node if the body says how, marks it Active, and returns the shards to attach (in new generations) and the secondaries to keep.',
    body: reAttachBody,
    responses: {
      200: json(reAttachOut, 'The shards to attach, each in a new generation, and the secondaries to keep.'),
    },
    handler: async ({ body }, services) =>
      ok({
        tenants: await reAttachUpcall(services, {
          nodeId: body.node_id,
          register: body.register ? nodeRegistration(body.register) : null,
        }),
      }),
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
