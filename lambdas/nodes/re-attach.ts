// re-attach: a pageserver starting up asks which shards to run attached. Every shard whose
// latest generation was issued to it, and that the intent still attaches there, gets a new
// generation (persisted before answering), and
// observed state is updated to what the pageserver will do, so nothing looks dirty needlessly:
// listed shards are attached in the new generation; unlisted attached ones are dropped by the
// pageserver; secondaries stay.
import type { AppContext } from '../app/context';
import { forEachLimited } from '../core/concurrency';
import { NotFoundError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { attachedConf, isAttachedMode } from '../core/model/location-config';
import { shardIdentity } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { setAvailability } from './set-availability';

export async function reAttach(
  context: AppContext,
  nodeId: number,
): Promise<Array<{ id: string; gen: number }>> {
  if (!(await setAvailability(context.nodes, nodeId, 'Active')))
    throw new NotFoundError('Node not registered');
  const memberships = await context.tenants.nodeMemberships(nodeId);
  const key = String(nodeId);
  const tenants: Array<{ id: string; gen: number }> = [];
  await forEachLimited(memberships, 16, async (membership) => {
    if (!membership.issued && !membership.observed) return;
    await retryOnConflict(async () => {
      const shard = await context.tenants.getShard(membership.id);
      if (!shard) return;
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
        return; // a secondary is kept, an unknown location stays unknown: nothing to write
      }
      await context.tenants.saveShards([{ before: shard, after: { ...shard, generation, observed } }]);
      if (issued) tenants.push({ id: formatTenantShardId(shard.id), gen: generation });
    }, 20);
  });
  return tenants.sort((a, b) => (a.id < b.id ? -1 : 1));
}
