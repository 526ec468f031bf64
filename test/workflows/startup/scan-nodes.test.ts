// The startup scan and re-attaching nodes: a pageserver serves nothing until its re-attach is
// answered (and that answer records what it holds), so the scan neither waits for such a node
// nor marks it Offline or Active; a node still answering is scanned as before.
import { describe, expect, it } from 'vitest';
import { formatTenantShardId } from '../../../lambdas/core/ids';
import type { LocationConfig } from '../../../lambdas/core/model/location-config';
import { attachedConf, secondaryConf } from '../../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../../lambdas/core/model/tenant-shard';
import { startWarmUp } from '../../../lambdas/nodes/set-availability';
import { applyScan, scanNodes } from '../../../lambdas/workflows/startup/steps';
import { addNodes, memoryWorld, seedTenant } from '../../support/memory';
import { transientFailure } from '../../support/memory/pageservers';

/** A shard attached on node 1 in generation 5, recorded so (as a re-attach answer writes it). */
async function recordedInGeneration5(w: ReturnType<typeof memoryWorld>): Promise<TenantShard> {
  const { shards } = await seedTenant(w.tenants, {
    attached: [1],
    generation: 5,
    shape: (s) => ({
      ...s,
      generationPageserver: 1,
      observed: { '1': attachedConf(shardIdentity(s), s.config, 5) },
    }),
  });
  return shards[0]!;
}

describe('scanNodes', () => {
  it('leaves a node that begins re-attaching during its listing to the re-attach, within a second', async () => {
    const w = memoryWorld();
    const [node] = await addNodes(w.nodes, [1]);
    // Its pageserver restarted: every listing answers 503 ("waiting for re-attach") …
    w.pageservers.failNext({ node: 1 }, transientFailure('Not yet active: waiting for re-attach'), 1_000);
    // … and its re-attach call arrives a moment after the scan began.
    setTimeout(() => void startWarmUp(w.nodes, 1, Date.now()), 100);
    const began = Date.now();
    const scan = await scanNodes(w.context, [node!], 5_000);
    expect(scan.get(1)).toBe('warming');
    expect(Date.now() - began).toBeLessThan(2_500);
    const result = await applyScan(w.context, scan);
    expect(result).toMatchObject({ responsive: [1], offline: [] });
    expect((await w.nodes.get(1))?.availability).toBe('WarmingUp');
  });

  it('asks a node already re-attaching once, briefly, and uses its listing if it answers', async () => {
    const w = memoryWorld();
    await addNodes(w.nodes, [1]);
    const warming = (await startWarmUp(w.nodes, 1, Date.now()))!;
    const scan = await scanNodes(w.context, [warming], 5_000);
    expect(scan.get(1)).toEqual([]);
  });

  it('still marks a node silent for the whole timeout, and never re-attaching, Offline', async () => {
    const w = memoryWorld();
    const [node] = await addNodes(w.nodes, [1]);
    w.pageservers.down.add(1);
    const scan = await scanNodes(w.context, [node!], 1_500);
    expect(scan.get(1)).toBeNull();
    expect(await applyScan(w.context, scan)).toMatchObject({ responsive: [], offline: [1] });
  });

  it('still calls a node that answers only with errors, and is not re-attaching, refused (alive, Active)', async () => {
    const w = memoryWorld();
    const [node] = await addNodes(w.nodes, [1], { availability: 'Offline' });
    w.pageservers.failNext({ node: 1 }, transientFailure(), 1_000);
    const scan = await scanNodes(w.context, [node!], 1_500);
    expect(scan.get(1)).toBe('refused');
    await applyScan(w.context, scan);
    expect((await w.nodes.get(1))?.availability).toBe('Active');
  });

  it('applies no listing to a node re-attaching by then: its re-attach wrote what it holds, the listing may be older', async () => {
    const w = memoryWorld();
    await addNodes(w.nodes, [1]);
    const shard = await recordedInGeneration5(w);
    // Listed from its disk just before its re-attach was answered: a secondary there, say.
    const stale = secondaryConf(shardIdentity(shard), shard.config);
    await startWarmUp(w.nodes, 1, Date.now());
    const result = await applyScan(w.context, new Map([[1, [[formatTenantShardId(shard.id), stale]]]]));
    expect(result).toMatchObject({ responsive: [1], offline: [] });
    expect((await w.tenants.getShard(shard.id))?.observed['1']).toMatchObject({
      mode: 'AttachedSingle',
      generation: 5,
    });
    expect((await w.nodes.get(1))?.availability).toBe('WarmingUp');
  });

  it('stops applying a long listing once the node begins re-attaching, leaving the rest to the re-attach', async () => {
    const w = memoryWorld();
    await addNodes(w.nodes, [1]);
    const shards: TenantShard[] = [];
    for (let i = 0; i < 1_200; i++) {
      const seeded = await seedTenant(w.tenants, { attached: [1], generation: 5 });
      shards.push(seeded.shards[0]!);
    }
    // The listing says generation 4 for every shard (its disk, before the re-attach answer).
    const listing = shards.map(
      (s) =>
        [formatTenantShardId(s.id), attachedConf(shardIdentity(s), s.config, 4)] as [string, LocationConfig],
    );
    const getShards = w.tenants.getShards.bind(w.tenants);
    let read = 0;
    w.tenants.getShards = async (ids) => {
      read += ids.length;
      if (read === 100) await startWarmUp(w.nodes, 1, Date.now());
      return getShards(ids);
    };
    await applyScan(w.context, new Map([[1, listing]]));
    // The first part was applied before the re-attach began; then it stopped.
    expect(read).toBe(500);
    const after = await getShards(shards.map((s) => s.id));
    expect(after.filter((s) => s.observed['1']?.generation === 4)).toHaveLength(500);
  });

  it('keeps a recorded attachment over a listed one in an older generation (a listing taken before a re-attach answer)', async () => {
    const w = memoryWorld();
    await addNodes(w.nodes, [1]);
    const shard = await recordedInGeneration5(w);
    const listed = attachedConf(shardIdentity(shard), shard.config, 4);
    await applyScan(w.context, new Map([[1, [[formatTenantShardId(shard.id), listed]]]]));
    expect((await w.tenants.getShard(shard.id))?.observed['1']?.generation).toBe(5);
    // A newer one is recorded as listed.
    await applyScan(
      w.context,
      new Map([[1, [[formatTenantShardId(shard.id), { ...listed, generation: 6 }]]]]),
    );
    expect((await w.tenants.getShard(shard.id))?.observed['1']?.generation).toBe(6);
  });
});
