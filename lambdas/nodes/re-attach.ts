// re-attach: a pageserver starting up asks which shards to run attached. Every shard whose
// latest generation was issued to it, and that the intent still attaches there, gets a new
// generation (persisted before answering), and
// observed state is updated to what the pageserver will do, so nothing looks dirty needlessly:
// listed shards are attached in the new generation; unlisted attached ones are dropped by the
// pageserver; secondaries stay. A shard whose newest generation is on its way to the node in a
// call (core/model/sending.ts) is left to that call: not listed, no new generation (the call would
// land after the answer and undo it), its location there unknown until the call's outcome is
// recorded (so a sender that died leaves it dirty for a reconcile).
//
// A node may hold thousands of shards and its pageserver waits for the answer, so the work goes
// in pages: the node's memberships in one Query, its shards read 100 to a call, the changes
// written many to a transaction (updateShardsInPages).
import type { AppContext } from '../app/context';
import { ConflictError, NotFoundError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { attachedConf, isAttachedMode } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { isSendingTo } from '../core/model/sending';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { updateShardsInPages } from '../reconciler/shard-update';
import { kickHeartbeat } from './kick-heartbeat';
import { resetTransientPolicy } from './reset-transient-policy';
import { startWarmUp } from './set-availability';

/** Shards re-attached between two checks that no newer re-attach of the node has begun. */
const SUPERSEDED_CHECK_EVERY = 500;

/** Whether a re-attach of the node began after the one whose warm-up `mine` started. */
async function supersededSince(context: AppContext, nodeId: number, mine: PageserverNode): Promise<boolean> {
  const node = await context.nodes.get(nodeId);
  return (node?.warmingUpSince ?? 0) > (mine.warmingUpSince ?? 0);
}

/** Handed back to the pageserver: its latest generation was issued there and the intent attaches it there. */
const isIssued = (shard: TenantShard, nodeId: number) =>
  shard.generationPageserver === nodeId && shard.intent.attached === nodeId;

/** What re-attach does to one shard for `nodeId`; null when nothing changes. */
function reAttached(shard: TenantShard, nodeId: number, now: number): TenantShard | null {
  const key = String(nodeId);
  const observed = { ...shard.observed };
  let { generation } = shard;
  if (isSendingTo(shard, nodeId, now)) {
    if (!observed[key]) return null; // unknown or absent already: the call's outcome will say
    observed[key] = null;
    return { ...shard, observed };
  }
  // Handed back only where the intent still attaches it: a shard since made Secondary or
  // Detached, or moved elsewhere, would otherwise be attached again by the pageserver (the
  // original's QUIRK: a detached tenant resurrected by a restart).
  if (isIssued(shard, nodeId)) {
    generation += 1;
    // Only a location we know the node holds is updated: one whose attach never reached it
    // (created while it was down) stays unknown or absent, so a reconcile attaches it.
    if (observed[key]) observed[key] = attachedConf(shardIdentity(shard), shard.config, generation);
  } else if (observed[key] && isAttachedMode(observed[key].mode)) {
    // Not listed: the pageserver drops an attached location.
    delete observed[key];
  } else {
    return null; // a secondary is kept, an unknown location stays unknown: nothing to write
  }
  return { ...shard, generation, observed };
}

export async function reAttach(
  context: AppContext,
  nodeId: number,
): Promise<Array<{ id: string; gen: number }>> {
  const now = Date.now();
  const warmUp = await startWarmUp(context.nodes, nodeId, now);
  if (!warmUp) throw new NotFoundError('Node not registered');
  await resetTransientPolicy(context.nodes, nodeId);
  const ids = (await context.tenants.nodeMemberships(nodeId))
    .filter((m) => m.issued || m.observed)
    .map((m) => m.id);
  const tenants: Array<{ id: string; gen: number }> = [];
  // Only what was written is answered, in the generation written.
  for (let from = 0; from < ids.length; from += SUPERSEDED_CHECK_EVERY) {
    // A pageserver that gave up waiting asks again: this answer would reach nobody, and going on
    // would only slow the newer re-attach down (on a large node, enough for that one to be given
    // up on too). What was written stays valid: the newer one issues generations after it.
    if (from > 0 && (await supersededSince(context, nodeId, warmUp)))
      throw new ConflictError(`a newer re-attach of node ${nodeId} superseded this one`);
    await updateShardsInPages(
      context.tenants,
      ids.slice(from, from + SUPERSEDED_CHECK_EVERY),
      (shard) => reAttached(shard, nodeId, now),
      (saved) => {
        if (isIssued(saved, nodeId) && !isSendingTo(saved, nodeId, now))
          tenants.push({ id: formatTenantShardId(saved.id), gen: saved.generation });
      },
    );
  }
  // Probed again from the moment the pageserver has the answer, so it is Active within a second.
  await kickHeartbeat(context, nodeId);
  return tenants.sort((a, b) => (a.id < b.id ? -1 : 1));
}
