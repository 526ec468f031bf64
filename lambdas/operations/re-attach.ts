// re-attach: a pageserver starting up asks which shards to run attached. Every shard whose
// latest generation was issued to it gets a new generation (persisted before answering), and
// observed state is updated to what the pageserver will do, so nothing looks dirty needlessly:
// listed shards are attached in the new generation; unlisted attached ones are dropped by the
// pageserver; secondaries stay.
import type { Services } from '../api/services';
import { NotFoundError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import { attachedConf, isAttachedMode } from '../core/model/location-config';
import { retryOnConflict } from '../core/retry';
import { forEachLimited } from './shard-pool';

export async function reAttach(
  services: Services,
  nodeId: number,
): Promise<Array<{ id: string; gen: number }>> {
  await retryOnConflict(async () => {
    const node = await services.nodes.get(nodeId);
    if (!node) throw new NotFoundError('Node not registered');
    if (node.availability !== 'Active')
      await services.nodes.update(node.id, node.version, { availability: 'Active' });
  });
  const memberships = await services.tenants.nodeMemberships(nodeId);
  const key = String(nodeId);
  const tenants: Array<{ id: string; gen: number }> = [];
  await forEachLimited(memberships, 16, async (membership) => {
    if (!membership.issued && !membership.observed) return;
    await retryOnConflict(async () => {
      const shard = await services.tenants.getShard(membership.id);
      if (!shard) return;
      const observed = { ...shard.observed };
      let { generation } = shard;
      const issued = shard.generationPageserver === nodeId;
      if (issued) {
        generation += 1;
        const identity = { number: shard.id.number, count: shard.id.count, stripeSize: shard.stripeSize };
        observed[key] = attachedConf(identity, shard.config, generation);
      } else if (observed[key] && isAttachedMode(observed[key].mode)) {
        delete observed[key];
      } else if (!(key in observed)) {
        return;
      }
      await services.tenants.saveShards([{ before: shard, after: { ...shard, generation, observed } }]);
      if (issued) tenants.push({ id: formatTenantShardId(shard.id), gen: generation });
    }, 20);
  });
  return tenants.sort((a, b) => (a.id < b.id ? -1 : 1));
}
