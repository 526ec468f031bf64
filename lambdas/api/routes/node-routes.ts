// Pageserver registration and configuration (/control/v1/node...).
import * as z from 'zod';
import { BadRequestError, NotFoundError, PreconditionFailedError } from '../../core/errors';
import { nodeToJson } from '../../core/model/node';
import { retryOnConflict } from '../../core/retry';
import { nodeCameBack, nodeWentOffline } from '../../nodes/node-availability';
import { nodeShards } from '../../nodes/node-shards';
import { registerNode } from '../../nodes/register-node';
import { liveOperation } from '../../workflows/drain-fill/operation-record';
import { nodeOut, nodeShardsOut } from '../response-schemas';
import { json, nullBody } from '../responses';
import { defineRoute, ok } from '../route';
import {
  nodeAvailabilitySchema,
  nodeIdParams,
  nodeIdSchema,
  nodeRegisterBody,
  nodeRegistration,
  nodeSchedulingSchema,
} from '../schemas';

// Unknown fields are ignored, as the reference ignores them in NodeConfigureRequest.
const configureBody = z.looseObject({
  node_id: nodeIdSchema,
  availability: nodeAvailabilitySchema.nullish(),
  scheduling: nodeSchedulingSchema.nullish(),
});

export const nodeRoutes = [
  defineRoute({
    method: 'POST',
    path: '/control/v1/node',
    group: 'node',
    scope: 'infra',
    summary: 'Register a pageserver (idempotent for identical addresses; 409 for different ones).',
    body: nodeRegisterBody,
    responses: { 200: nullBody('Registered (or already registered with these addresses).') },
    handler: async ({ body }, { nodes }) => {
      await registerNode(nodes, nodeRegistration(body));
      return ok(null);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/node',
    group: 'node',
    scope: 'infra',
    summary: 'List registered pageservers.',
    responses: { 200: json(z.array(nodeOut), 'The registered pageservers, in no particular order.') },
    handler: async (_request, { nodes }) => ok((await nodes.list()).map(nodeToJson)),
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/node/{node_id}',
    group: 'node',
    scope: 'infra',
    summary: "A node's availability, scheduling policy, AZ and addresses (polled during drain and fill).",
    params: nodeIdParams,
    responses: { 200: json(nodeOut, 'The node.') },
    handler: async ({ params }, { nodes }) => {
      const node = await nodes.get(params.node_id);
      if (!node) throw new NotFoundError(`Node ${params.node_id} not registered`);
      return ok(nodeToJson(node));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/node/{node_id}/shards',
    group: 'node',
    scope: 'admin',
    summary: 'The shards intended or observed on a node, with whether each is a secondary there.',
    params: nodeIdParams,
    responses: { 200: json(nodeShardsOut, 'The shards on the node, in shard order.') },
    handler: async ({ params }, services) => ok(await nodeShards(services, params.node_id)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/control/v1/node/{node_id}/config',
    group: 'node',
    scope: 'admin',
    summary: "Set a node's availability and/or scheduling policy.",
    params: nodeIdParams,
    body: configureBody,
    responses: { 200: nullBody('Configured.') },
    handler: async ({ params, body, requestId }, services) => {
      if (params.node_id !== body.node_id) throw new BadRequestError('Path and body node_id differ');
      // D7: a drain, fill or delete owns the node's policy while it runs.
      const operation = await liveOperation(services);
      if (operation?.nodeId === params.node_id)
        throw new PreconditionFailedError(
          `Ongoing background operation forbids configuring: ${operation.kind} of node ${operation.nodeId}`,
        );
      const previous = await retryOnConflict(async () => {
        const node = await services.nodes.get(params.node_id);
        if (!node) throw new NotFoundError('Node not registered');
        const changes = {
          ...(body.availability ? { availability: body.availability } : {}),
          ...(body.scheduling ? { scheduling: body.scheduling } : {}),
        };
        if (Object.keys(changes).length > 0) await services.nodes.update(node.id, node.version, changes);
        return node;
      }, 20);
      // Transitions are acted on once, by the call that made them.
      if (previous.availability === 'Active' && body.availability === 'Offline') {
        await nodeWentOffline(services, previous.id, `api-${requestId}`);
      } else if (previous.availability === 'Offline' && body.availability === 'Active') {
        await nodeCameBack(services, previous.id, `api-${requestId}`);
      }
      return ok(null);
    },
  }),
];
