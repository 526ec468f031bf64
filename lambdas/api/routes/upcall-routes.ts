// Calls from pageservers (/upcall/v1), with their own scope.
import { z } from 'zod';
import { NotFoundError } from '../../core/errors';
import { retryOnConflict } from '../../core/retry';
import { defineRoute, ok } from '../route';
import { nodeIdSchema } from '../schemas';

const reAttachBody = z.object({ node_id: nodeIdSchema }).strict();

export const upcallRoutes = [
  defineRoute({
    method: 'POST',
    path: '/upcall/v1/re-attach',
    group: 'upcall',
    scope: 'generations_api',
    summary: 'Pageserver start-up: marks the node Active and returns the shards it should attach.',
    body: reAttachBody,
    handler: async ({ body }, { nodes }) => {
      await retryOnConflict(async () => {
        const node = await nodes.get(body.node_id);
        if (!node) throw new NotFoundError('Node not registered');
        if (node.availability !== 'Active')
          await nodes.update(node.id, node.version, { availability: 'Active' });
      });
      // Shards and their generation bumps arrive with the tenant model (issue 3).
      return ok({ tenants: [] });
    },
  }),
];
