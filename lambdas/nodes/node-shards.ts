// The shards placed on a node (later-features.md A13): from the node's memberships (one paged
// Query), then the shards themselves read in batches to see what the node was observed holding.
import type { AppContext } from '../app/context';
import { NotFoundError } from '../core/errors';
import { compareTenantShardIds, formatTenantShardId } from '../core/ids';
import type { TenantShard } from '../core/model/tenant-shard';

export interface NodeShard {
  tenant_shard_id: string;
  /** true: intended secondary here; false: intended attached here; null: not intended here. */
  is_intended_secondary: boolean | null;
  /** true: observed as a secondary here; false: observed attached; null: nothing known here. */
  is_observed_secondary: boolean | null;
}

/** How one shard stands on `nodeId`; null when it is neither intended nor observed there. */
export function nodeShard(shard: TenantShard, nodeId: number): NodeShard | null {
  const intended =
    shard.intent.attached === nodeId ? false : shard.intent.secondary.includes(nodeId) ? true : null;
  const conf = shard.observed[String(nodeId)];
  const observed = conf ? conf.mode === 'Secondary' : null;
  if (intended === null && observed === null) return null;
  return {
    tenant_shard_id: formatTenantShardId(shard.id),
    is_intended_secondary: intended,
    is_observed_secondary: observed,
  };
}

export async function nodeShards(
  context: Pick<AppContext, 'nodes' | 'tenants'>,
  nodeId: number,
): Promise<{ node_id: number; shards: NodeShard[] }> {
  if (!(await context.nodes.get(nodeId))) throw new NotFoundError(`Node ${nodeId} not registered`);
  const ids = (await context.tenants.nodeMemberships(nodeId))
    .filter((m) => m.attached || m.secondary || m.observed)
    .map((m) => m.id);
  const shards = ids.length > 0 ? await context.tenants.getShards(ids) : [];
  const listed = shards
    .sort((a, b) => compareTenantShardIds(a.id, b.id))
    .flatMap((s) => nodeShard(s, nodeId) ?? []);
  return { node_id: nodeId, shards: listed };
}
