// Drain, fill and graceful deletion of a node (reference later-features.md D1–D3, D7, D8, A10):
// each starts a drain-fill workflow execution and answers 202 with it; DELETE on the same path
// cancels (200 once stopped, 202 while the execution winds down).
import * as z from 'zod';
import type { NodeOperationKind } from '../../core/model/node-operation';
import { cancelNodeOperation } from '../../workflows/drain-fill/cancel-operation';
import { startNodeOperation } from '../../workflows/drain-fill/start-operation';
import { executionIdOut } from '../response-schemas';
import { json, nullBody } from '../responses';
import { type AnyRoute, defineRoute, ok } from '../route';
import { nodeIdParams } from '../schemas';
import { stillRunningReply } from '../workflow-reply';

const started = json(executionIdOut, 'Started: the execution, which Location shows.');

const WHAT: Record<NodeOperationKind, { path: string; verb: string }> = {
  drain: { path: 'drain', verb: 'Drain a node: move its attached shards away; it ends PauseForRestart' },
  fill: { path: 'fill', verb: 'Fill a node: move shards back to it up to the mean attached count' },
  delete: { path: 'delete', verb: 'Delete a node gracefully: drain it, then remove it' },
};

function cancelRoute(kind: NodeOperationKind): AnyRoute {
  return defineRoute({
    method: 'DELETE',
    path: `/control/v1/node/{node_id}/${WHAT[kind].path}`,
    group: 'node',
    scope: 'admin',
    summary: `Cancel the node's ${kind}: its policy is restored (412 if none runs).`,
    params: nodeIdParams,
    responses: {
      200: nullBody('Cancelled and stopped.'),
      202: json(executionIdOut, 'Cancelled; the execution is still winding down.'),
    },
    handler: async ({ params }, services) => {
      const result = await cancelNodeOperation(services, params.node_id, kind);
      return result.stopped ? ok(null) : stillRunningReply(result.executionId);
    },
  });
}

export const nodeOperationRoutes: AnyRoute[] = [
  defineRoute({
    method: 'PUT',
    path: '/control/v1/node/{node_id}/drain',
    group: 'node',
    scope: 'admin',
    summary: `${WHAT.drain.verb} (404 unknown, 503 unavailable, 409 already draining, 412 otherwise refused).`,
    params: nodeIdParams,
    responses: { 202: started },
    handler: async ({ params }, services) =>
      stillRunningReply((await startNodeOperation(services, params.node_id, 'drain')).executionId),
  }),
  cancelRoute('drain'),
  defineRoute({
    method: 'PUT',
    path: '/control/v1/node/{node_id}/fill',
    group: 'node',
    scope: 'admin',
    summary: `${WHAT.fill.verb} (404 unknown, 503 unavailable, 412 refused).`,
    params: nodeIdParams,
    responses: { 202: started },
    handler: async ({ params }, services) =>
      stillRunningReply((await startNodeOperation(services, params.node_id, 'fill')).executionId),
  }),
  cancelRoute('fill'),
  defineRoute({
    method: 'PUT',
    path: '/control/v1/node/{node_id}/delete',
    group: 'node',
    scope: 'admin',
    summary: `${WHAT.delete.verb} (?force=true: without waiting for lagging secondaries).`,
    params: nodeIdParams,
    query: z.object({ force: z.enum(['true', 'false']).optional() }).strict(),
    responses: { 202: started },
    handler: async ({ params, query }, services) =>
      stillRunningReply(
        (await startNodeOperation(services, params.node_id, 'delete', { force: query.force === 'true' }))
          .executionId,
      ),
  }),
  cancelRoute('delete'),
];
