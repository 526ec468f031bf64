// Operator and test-harness routes under /debug/v1.
import { NotFoundError } from '../../core/errors';
import { defineRoute, ok } from '../route';
import { nodeIdParams } from '../schemas';

export const debugRoutes = [
  defineRoute({
    method: 'POST',
    path: '/debug/v1/node/{node_id}/drop',
    group: 'debug',
    scope: 'admin',
    summary: 'Forget a node without rescheduling its shards.',
    params: nodeIdParams,
    handler: async ({ params }, { nodes }) => {
      const node = await nodes.get(params.node_id);
      if (!node) throw new NotFoundError('Node not registered');
      await nodes.delete(node.id);
      return ok(null);
    },
  }),
];
