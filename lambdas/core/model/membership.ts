// What a shard means to each node it touches: the flags of its membership item (the node's
// partition lists its shards by them). The DynamoDB store derives its membership writes and
// counters from these, and the in-memory store its index, so both agree by construction.
import type { TenantShard } from './tenant-shard';

export interface MembershipFlags {
  attached: boolean;
  secondary: boolean;
  /** The shard's latest generation was issued to this node (re-attach hands it back). */
  issued: boolean;
  observed: boolean;
}

export function membershipFlags(shard: TenantShard | null, node: number): MembershipFlags {
  return {
    attached: shard?.intent.attached === node,
    secondary: shard?.intent.secondary.includes(node) ?? false,
    issued: shard?.generationPageserver === node,
    observed: shard ? String(node) in shard.observed : false,
  };
}

/** Every node the shard refers to: intended, issued its generation, or observed. */
export function nodesOf(shard: TenantShard | null): number[] {
  if (!shard) return [];
  const nodes = new Set<number>(shard.intent.secondary);
  if (shard.intent.attached !== null) nodes.add(shard.intent.attached);
  if (shard.generationPageserver !== null) nodes.add(shard.generationPageserver);
  for (const key of Object.keys(shard.observed)) nodes.add(Number(key));
  return [...nodes];
}
