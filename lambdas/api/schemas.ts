// zod schemas for the identifiers and shared shapes at the API edge.
import * as z from 'zod';
import { FormatError, parseNodeId, parseTenantId, parseTenantShardId, parseTimelineId } from '../core/ids';
import { NODE_AVAILABILITIES, NODE_SCHEDULING_POLICIES, type NodeRegistration } from '../core/model/node';

/** A string parsed by one of the core id parsers; the parser's message becomes the 400 text. */
function parsed<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof FormatError ? error.message : String(error) });
      return z.NEVER;
    }
  });
}

// The descriptions are for the OpenAPI document; parsing is the parsers' alone.
export const tenantIdSchema = parsed(parseTenantId).meta({ description: 'TenantId: 32 hex digits.' });
export const timelineIdSchema = parsed(parseTimelineId).meta({ description: 'TimelineId: 32 hex digits.' });
export const tenantShardIdSchema = parsed(parseTenantShardId).meta({
  description: 'TenantShardId: a TenantId, with -NNCC (shard number and count in hex) when sharded.',
});
/** Node ids in paths are decimal strings. */
export const nodeIdParamSchema = parsed(parseNodeId).meta({ description: 'NodeId, in decimal.' });
/** Node ids in bodies are JSON numbers. */
export const nodeIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const portSchema = z.number().int().min(0).max(65535);
export const hostSchema = z.string().min(1).max(253);

export const nodeAvailabilitySchema = z.enum(NODE_AVAILABILITIES);
export const nodeSchedulingSchema = z.enum(NODE_SCHEDULING_POLICIES);

export const nodeIdParams = z.object({ node_id: nodeIdParamSchema });
export const emptyQuery = z.object({}).strict();

/** `?limit=N` for listings: a whole number from 1 to 1000. */
export const limitParam = z
  .string()
  .regex(/^\d+$/, 'expected a whole number')
  .transform(Number)
  .pipe(z.number().min(1).max(1000));

/**
 * NodeRegisterRequest, for `POST /control/v1/node` and inside re-attach. Fields newer pageservers
 * and deploy tools send that we do not use (HTTPS and gRPC listeners, say) are ignored, as the
 * reference ignores unknown fields here.
 */
export const nodeRegisterBody = z.looseObject({
  node_id: nodeIdSchema,
  listen_pg_addr: hostSchema,
  listen_pg_port: portSchema,
  listen_http_addr: hostSchema,
  listen_http_port: portSchema,
  listen_https_port: portSchema.nullish(),
  listen_grpc_addr: hostSchema.nullish(),
  listen_grpc_port: portSchema.nullish(),
  availability_zone_id: z.string().min(1).max(128).nullish(),
});

export function nodeRegistration(body: z.infer<typeof nodeRegisterBody>): NodeRegistration {
  return {
    id: body.node_id,
    listenHttpAddr: body.listen_http_addr,
    listenHttpPort: body.listen_http_port,
    listenPgAddr: body.listen_pg_addr,
    listenPgPort: body.listen_pg_port,
    availabilityZoneId: body.availability_zone_id ?? null,
  };
}
