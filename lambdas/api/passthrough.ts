// GETs about a tenant are answered by the pageserver holding shard zero, with the tenant id in
// the path rewritten to shard zero's id and the answer passed back verbatim.

import { ConflictError, InternalError, NotFoundError, UnavailableError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import type { ApiContext } from './api-context';
import { passthrough } from './responses';
import type { Reply, RouteResponses } from './route';

/** Whatever shard zero's pageserver answered, status and body as they were. */
export const relayed: RouteResponses = {
  200: passthrough("Shard zero's pageserver's answer, relayed verbatim with its status."),
};

export async function passthroughGet(
  services: ApiContext,
  tenantId: string,
  rawPath: string,
  rawQueryString: string,
): Promise<Reply> {
  const current = await services.tenants.getTenantWithShards(tenantId);
  const zero = current?.shards[0];
  if (!zero) throw new NotFoundError(`Tenant ${tenantId} not found`);
  if (zero.intent.attached === null)
    throw new ConflictError('Cannot call timeline API on non-attached tenant');
  const node = await services.nodes.get(zero.intent.attached);
  if (!node) throw new InternalError(`Node ${zero.intent.attached} of shard zero is not registered`);
  const shardZeroId = formatTenantShardId(zero.id);
  // Path ids may arrive in upper case; the pageserver wants ours.
  const path = rawPath.replace(new RegExp(tenantId, 'gi'), shardZeroId);
  const query = rawQueryString.replace(new RegExp(tenantId, 'gi'), shardZeroId);
  try {
    const res = await services.pageservers.rawGet(node, query ? `${path}?${query}` : path);
    return { status: res.status, text: res.body, contentType: res.contentType };
  } catch (error) {
    throw new UnavailableError(`Pageserver ${node.id} unreachable: ${(error as Error).message}`, 1);
  }
}
