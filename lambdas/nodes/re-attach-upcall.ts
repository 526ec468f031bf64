// The re-attach upcall as newer pageservers make it (later-features.md A6): the request may carry
// the node's registration, so a pageserver registers itself on start-up, and the answer names a
// mode for each shard: those to run attached in their new generation, and those to keep as
// secondaries (a newer pageserver drops whatever is not listed).
import type { AppContext } from '../app/context';
import { BadRequestError } from '../core/errors';
import { formatTenantShardId, isUnsharded, parseTenantShardId } from '../core/ids';
import type { NodeRegistration } from '../core/model/node';
import type { TenantShard } from '../core/model/tenant-shard';
import { reAttach } from './re-attach';
import { registerNode } from './register-node';

export interface ReAttachRequest {
  nodeId: number;
  /** Self-registration: registered first (idempotent; 409 if the addresses differ). */
  register?: NodeRegistration | null;
}

export interface ReAttachEntry {
  id: string;
  /** The generation to attach in; null for a secondary. */
  gen: number | null;
  mode: 'AttachedSingle' | 'Secondary';
  /** The tenant's stripe size when sharded; null for an unsharded tenant. */
  stripe_size: number | null;
}

const stripeOf = (shard: TenantShard | undefined) => (shard && shard.id.count > 0 ? shard.stripeSize : null);

export async function reAttachUpcall(
  context: AppContext,
  request: ReAttachRequest,
): Promise<ReAttachEntry[]> {
  if (request.register) {
    if (request.register.id !== request.nodeId)
      throw new BadRequestError("body field 'register.node_id' differs from 'node_id'");
    await registerNode(context.nodes, request.register);
  }
  const attached = (await reAttach(context, request.nodeId)).map((t) => ({
    ...t,
    shardId: parseTenantShardId(t.id),
  }));
  const answered = new Set(attached.map((t) => t.id));
  const secondaryIds = (await context.tenants.nodeMemberships(request.nodeId))
    .filter((m) => m.secondary && !answered.has(formatTenantShardId(m.id)))
    .map((m) => m.id);
  // Read in batches, and only what the answer needs: the stripe size of sharded shards (an
  // unsharded one has none to give), and each secondary, whose intent is the authority.
  const needed = [...attached.map((t) => t.shardId).filter((id) => !isUnsharded(id)), ...secondaryIds];
  const read = needed.length > 0 ? await context.tenants.getShards(needed) : [];
  const shards = new Map(read.map((s) => [formatTenantShardId(s.id), s]));
  const entries: ReAttachEntry[] = attached.map(({ id, gen }) => ({
    id,
    gen,
    mode: 'AttachedSingle',
    stripe_size: stripeOf(shards.get(id)),
  }));
  for (const id of secondaryIds) {
    const shard = shards.get(formatTenantShardId(id));
    if (!shard?.intent.secondary.includes(request.nodeId)) continue;
    entries.push({ id: formatTenantShardId(id), gen: null, mode: 'Secondary', stripe_size: stripeOf(shard) });
  }
  return entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
