// Where each shard of a tenant is attached, with its pageserver's addresses (TenantLocateResponse,
// reference/wire-formats.md §6.4): served under /control/v1 and, as newer controllers do, /debug/v1.
import type { AppContext } from '../app/context';
import { BadRequestError, InternalError, NotFoundError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';

export async function locateTenant(context: Pick<AppContext, 'nodes' | 'tenants'>, tenantId: string) {
  const current = await context.tenants.getTenantWithShards(tenantId);
  if (!current || current.shards.length === 0) throw new NotFoundError('No shards for this tenant ID found');
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  const shards = current.shards.map((s) => {
    if (s.intent.attached === null) throw new BadRequestError('Cannot locate a tenant that is not attached');
    const node = nodes.get(s.intent.attached);
    if (!node) throw new InternalError(`Node ${s.intent.attached} is not registered`);
    return {
      shard_id: formatTenantShardId(s.id),
      node_id: node.id,
      listen_http_addr: node.listenHttpAddr,
      listen_http_port: node.listenHttpPort,
      listen_pg_addr: node.listenPgAddr,
      listen_pg_port: node.listenPgPort,
    };
  });
  const zero = current.shards[0]!;
  if (current.shards.some((s) => s.stripeSize !== zero.stripeSize)) {
    throw new InternalError('Inconsistent shard stripe size parameters!');
  }
  return { shards, shard_params: { count: zero.id.count, stripe_size: zero.stripeSize } };
}
