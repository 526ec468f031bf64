// Pageserver registration and configuration (/control/v1/node...).
import * as z from 'zod';
import { BadRequestError, NotFoundError } from '../../core/errors';
import { nodeToJson } from '../../core/model/node';
import { retryOnConflict } from '../../core/retry';
import { deleteNode } from '../../nodes/delete-node';
import { nodeCameBack, nodeWentOffline } from '../../nodes/node-availability';
import { registerNode } from '../../nodes/register-node';
import { nodeOut } from '../response-schemas';
import { json, nullBody } from '../responses';
import { defineRoute, ok } from '../route';
import {
  hostSchema,
  nodeAvailabilitySchema,
  nodeIdParams,
  nodeIdSchema,
  nodeSchedulingSchema,
  portSchema,
} from '../schemas';

const registerBody = z
  .object({
    node_id: nodeIdSchema,
    listen_pg_addr: hostSchema,
    listen_pg_port: portSchema,
    listen_http_addr: hostSchema,
    listen_http_port: portSchema,
    availability_zone_id: z.string().min(1).max(128).nullish(),
  })
  .strict();

const configureBody = z
  .object({
    node_id: nodeIdSchema,
    availability: nodeAvailabilitySchema.nullish(),
    scheduling: nodeSchedulingSchema.nullish(),
  })
  .strict();

export const nodeRoutes = [
  defineRoute({
    method: 'POST',
    path: '/control/v1/node',
    group: 'node',
    scope: 'admin',
    summary: 'Register a pageserver (idempotent for identical addresses; 409 for different ones).',
    body: registerBody,
    responses: { 200: nullBody('Registered (or already registered with these addresses).') },
    handler: async ({ body }, { nodes }) => {
      const registration = {
        id: body.node_id,
        listenHttpAddr: body.listen_http_addr,
        listenHttpPort: body.listen_http_port,
        listenPgAddr: body.listen_pg_addr,
        listenPgPort: body.listen_pg_port,
        availabilityZoneId: body.availability_zone_id ?? null,
      };
      await registerNode(nodes, registration);
      return ok(null);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/control/v1/node',
    group: 'node',
    scope: 'admin',
    summary: 'List registered pageservers.',
    responses: { 200: json(z.array(nodeOut), 'The registered pageservers, in no particular order.') },
    handler: async (_request, { nodes }) => ok((await nodes.list()).map(nodeToJson)),
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
      const previous = await retryOnConflict(async () => {
        const node = await services.nodes.get(params.node_id);
        if (!node) throw new NotFoundError('Node not registered');
        const changes = {
          // An operator's word starts afresh: no warm-up, no failures counted so far.
          ...(body.availability
            ? { availability: body.availability, warmingUpSince: null, unresponsiveSince: null }
            : {}),
          ...(body.scheduling ? { scheduling: body.scheduling } : {}),
        };
        if (Object.keys(changes).length > 0) await services.nodes.update(node.id, node.version, changes);
        return node;
      }, 20);
      // Transitions are acted on once, by the call that made them.
      if (previous.availability !== 'Offline' && body.availability === 'Offline') {
        await nodeWentOffline(services, previous.id, `api-${requestId}`);
      } else if (previous.availability === 'Offline' && body.availability === 'Active') {
        await nodeCameBack(services, previous.id, `api-${requestId}`);
      }
      return ok(null);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/control/v1/node/{node_id}',
    group: 'node',
    scope: 'admin',
    summary:
      'Delete a node at once: every shard that refers to it is rescheduled (a secondary promoted where there is one) and the node is removed. Nothing is drained first.',
    params: nodeIdParams,
    responses: { 200: nullBody('Deleted; its shards are placed elsewhere.') },
    handler: async ({ params, requestId }, services) => {
      await deleteNode(services, params.node_id, `api-${requestId}`);
      return ok(null);
    },
  }),
];
