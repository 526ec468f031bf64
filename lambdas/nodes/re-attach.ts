// re-attach: a pageserver starting up asks which shards to run attached. Every shard whose
// latest generation was issued to it, and that the intent still attaches there, gets a new
// generation (persisted before answering), and
// observed state is updated to what the pageserver will do, so nothing looks dirty needlessly:
// listed shards are attached in the new generation; unlisted attached ones are dropped by the
// pageserver; secondaries stay.
//
// A node may hold thousands of shards and its pageserver waits for the answer, so the work goes
// in pages: the node's memberships in one Query, its shards read 100 to a call, the changes
// written many to a transaction. A transaction that loses a race (a shard written meanwhile)
// settles each of its shards on its own, from a fresh read.
import type { AppContext } from '../app/context';
import { forEachLimited } from '../core/concurrency';
import { NotFoundError, VersionConflictError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { attachedConf, isAttachedMode } from '../core/model/location-config';
import { shardIdentity, type TenantShard } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { setAvailability } from './set-availability';

/** Shards read per call (BatchGet's limit). */
const READ_PAGE = 100;
/**
 * Shards written per transaction: each writes its item and at most one membership item, so a
 * group stays within DynamoDB's 100 actions.
 */
const WRITE_GROUP = 40;
/** Pages worked on at once. */
const CONCURRENCY = 4;

interface Decision {
  after: TenantShard;
  /** Handed back to the pageserver, in `after.generation`. */
  issued: boolean;
}

/** What re-attach does to one shard for `nodeId`; null when nothing changes. */
function decide(shard: TenantShard, nodeId: number): Decision | null {
  const key = String(nodeId);
  const observed = { ...shard.observed };
  let { generation } = shard;
  // Handed back only where the intent still attaches it: a shard since made Secondary or
  // Detached, or moved elsewhere, would otherwise be attached again by the pageserver (the
  // original's QUIRK: a detached tenant resurrected by a restart).
  const issued = shard.generationPageserver === nodeId && shard.intent.attached === nodeId;
  if (issued) {
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
  return { after: { ...shard, generation, observed }, issued };
}

type Answer = { id: string; gen: number };

const answerOf = (d: Decision): Answer => ({ id: formatTenantShardId(d.after.id), gen: d.after.generation });

/** One shard from a fresh read, retried on lost races: the fallback of a lost group write. */
function reAttachOne(context: AppContext, nodeId: number, id: TenantShardId): Promise<Answer | null> {
  return retryOnConflict(async () => {
    const shard = await context.tenants.getShard(id);
    const decision = shard ? decide(shard, nodeId) : null;
    if (!shard || !decision) return null;
    await context.tenants.saveShards([{ before: shard, after: decision.after }]);
    return decision.issued ? answerOf(decision) : null;
  }, 20);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function reAttach(
  context: AppContext,
  nodeId: number,
): Promise<Array<{ id: string; gen: number }>> {
  if (!(await setAvailability(context.nodes, nodeId, 'Active')))
    throw new NotFoundError('Node not registered');
  const ids = (await context.tenants.nodeMemberships(nodeId))
    .filter((m) => m.issued || m.observed)
    .map((m) => m.id);
  const tenants: Answer[] = [];
  await forEachLimited(chunks(ids, READ_PAGE), CONCURRENCY, async (page) => {
    const decided = (await context.tenants.getShards(page)).flatMap((before) => {
      const decision = decide(before, nodeId);
      return decision ? [{ before, ...decision }] : [];
    });
    for (const group of chunks(decided, WRITE_GROUP)) {
      try {
        await context.tenants.saveShards(group.map(({ before, after }) => ({ before, after })));
        for (const d of group) if (d.issued) tenants.push(answerOf(d));
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        // Nothing of the group is answered from it: each shard is settled again from what it is
        // now (one the transaction did write, if the store split it, only gets one more bump).
        await forEachLimited(group, 8, async ({ before }) => {
          const answer = await reAttachOne(context, nodeId, before.id);
          if (answer) tenants.push(answer);
        });
      }
    }
  });
  return tenants.sort((a, b) => (a.id < b.id ? -1 : 1));
}
