// re-attach on in-memory ports: a restarting pageserver gets a new generation for every shard
// whose latest generation was issued to it, persisted before the answer; locations it must drop
// are forgotten; nothing else is touched, and a concurrent write is never lost.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../lambdas/core/errors';
import { formatTenantShardId, parseTenantShardId } from '../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { isDirty } from '../../lambdas/core/reconcile-plan';
import { reAttach } from '../../lambdas/nodes/re-attach';
import { startWarmUp } from '../../lambdas/nodes/set-availability';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2]);
});

/** A shard attached on `node` in generation `gen`, confirmed there. */
const confirmedOn =
  (node: number, gen = 4) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generation: gen,
    generationPageserver: node,
    observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, gen) },
  });

async function seed(attached: number, shape: (s: TenantShard) => TenantShard, secondary: number[] = []) {
  const { shards } = await seedTenant(w.tenants, { attached: [attached], secondary: [secondary], shape });
  return shards[0]!;
}

describe('reAttach', () => {
  it('answers 404 for a node that is not registered', async () => {
    await expect(reAttach(w.context, 9)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('writes a page of 100 shards per transaction, reading each shard once', async () => {
    for (let i = 0; i < 150; i++) await seed(1, confirmedOn(1, 4));
    const written = w.tenants.writes.length;
    const getShards = w.tenants.getShards.bind(w.tenants);
    let read = 0;
    w.tenants.getShards = async (ids) => {
      read += ids.length;
      return getShards(ids);
    };
    const answer = await reAttach(w.context, 1);
    expect(answer).toHaveLength(150);
    expect(read).toBe(150);
    expect(w.tenants.writes.slice(written).map((x) => x.shards.length)).toEqual([100, 50]);
  });

  it('marks the node WarmingUp from now and starts a heartbeat execution for it alone', async () => {
    const node = (await w.nodes.get(1))!;
    await w.nodes.update(1, node.version, { availability: 'Offline', unresponsiveSince: 5 });
    const before = Date.now();
    await reAttach(w.context, 1);
    const after = (await w.nodes.get(1))!;
    expect(after.availability).toBe('WarmingUp');
    expect(after.warmingUpSince).toBeGreaterThanOrEqual(before);
    expect(after.unresponsiveSince).toBeNull();
    const beats = w.workflows.executions.filter((e) => e.workflow === 'heartbeat');
    expect(beats).toHaveLength(1);
    expect(beats[0]!.input).toMatchObject({ nodes: [1], interval: 1 });
  });

  it('issues a new generation for each shard issued to the node, persisted before it answers', async () => {
    const a = await seed(1, confirmedOn(1, 4));
    const b = await seed(1, confirmedOn(1, 9));
    const answer = await reAttach(w.context, 1);
    expect(answer).toEqual(
      [
        { id: formatTenantShardId(a.id), gen: 5 },
        { id: formatTenantShardId(b.id), gen: 10 },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    // What was answered is what the table says, and the location is recorded in that generation,
    // so the shard does not look dirty.
    for (const { id, gen } of answer) {
      const stored = (await w.tenants.getShard((id === formatTenantShardId(a.id) ? a : b).id))!;
      expect(stored.generation).toBe(gen);
      expect(stored.observed['1']).toEqual(attachedConf(shardIdentity(stored), stored.config, gen));
      expect(isDirty(stored)).toBe(false);
    }
  });

  it('never answers the same generation twice', async () => {
    const a = await seed(1, confirmedOn(1, 4));
    const gens: number[] = [];
    for (let i = 0; i < 3; i++) gens.push(...(await reAttach(w.context, 1)).map((x) => x.gen));
    expect(gens).toEqual([5, 6, 7]);
    expect((await w.tenants.getShard(a.id))?.generation).toBe(7);
  });

  it('leaves out a shard whose newer generation went elsewhere, and forgets the stale copy', async () => {
    // Node 1 held generation 3 before the shard moved to node 2 in generation 4.
    const s = await seed(2, (x) => ({
      ...confirmedOn(2, 4)(x),
      observed: {
        '2': attachedConf(shardIdentity(x), x.config, 4),
        '1': attachedConf(shardIdentity(x), x.config, 3, 'AttachedStale'),
      },
    }));
    expect(await reAttach(w.context, 1)).toEqual([]);
    const after = (await w.tenants.getShard(s.id))!;
    // The pageserver drops what it is not told to attach: we no longer believe it holds it.
    expect(Object.keys(after.observed)).toEqual(['2']);
    expect(after.generation).toBe(4);
    expect(await w.tenants.nodeMemberships(1)).toEqual([]);
  });

  it('keeps secondaries as they are', async () => {
    const s = await seed(
      2,
      (x) => ({
        ...confirmedOn(2, 4)(x),
        observed: {
          '2': attachedConf(shardIdentity(x), x.config, 4),
          '1': secondaryConf(shardIdentity(x), x.config),
        },
      }),
      [1],
    );
    expect(await reAttach(w.context, 1)).toEqual([]);
    // Content unchanged (whether or not it was rewritten).
    expect({ ...(await w.tenants.getShard(s.id))!, version: s.version }).toEqual(s);
  });

  it('leaves a location it never confirmed unknown, so a reconcile attaches it', async () => {
    // The generation was issued to node 1 but the attach never got an answer.
    const s = await seed(1, (x) => ({
      ...x,
      generation: 4,
      generationPageserver: 1,
      observed: { '1': null },
    }));
    expect(await reAttach(w.context, 1)).toEqual([{ id: formatTenantShardId(s.id), gen: 5 }]);
    const after = (await w.tenants.getShard(s.id))!;
    expect(after.generation).toBe(5);
    expect(after.observed['1']).toBeNull();
    expect(isDirty(after)).toBe(true);
  });

  it('does not touch shards of other nodes', async () => {
    const other = await seed(2, confirmedOn(2, 4));
    await reAttach(w.context, 1);
    expect(await w.tenants.getShard(other.id)).toEqual(other);
  });

  it('loses no concurrent write: a shard changed under it is re-read and both changes kept', async () => {
    const s = await seed(1, confirmedOn(1, 4));
    const save = w.tenants.saveShards.bind(w.tenants);
    let raced = false;
    // Just before re-attach writes, someone else changes the shard's config.
    w.tenants.saveShards = async (changes, tenant) => {
      if (!raced) {
        raced = true;
        const current = (await w.tenants.getShard(s.id))!;
        await save([{ before: current, after: { ...current, config: { gc_period: '2h' } } }]);
      }
      return save(changes, tenant);
    };
    const answer = await reAttach(w.context, 1);
    const after = (await w.tenants.getShard(s.id))!;
    expect(after.config).toEqual({ gc_period: '2h' });
    expect(after.generation).toBe(5);
    expect(answer).toEqual([{ id: formatTenantShardId(s.id), gen: 5 }]);
  });

  it('a lost group write settles each shard again: every shard answered once, as the table holds it', async () => {
    const shards = [await seed(1, confirmedOn(1, 4)), await seed(1, confirmedOn(1, 7))];
    const save = w.tenants.saveShards.bind(w.tenants);
    let raced = false;
    w.tenants.saveShards = async (changes, tenant) => {
      if (!raced && changes.length > 1) {
        raced = true;
        const current = (await w.tenants.getShard(shards[1]!.id))!;
        await save([{ before: current, after: { ...current, config: { gc_period: '2h' } } }]);
      }
      return save(changes, tenant);
    };
    const answer = await reAttach(w.context, 1);
    expect(raced).toBe(true);
    const stored = await Promise.all(shards.map(async (s) => (await w.tenants.getShard(s.id))!));
    expect(answer).toEqual(
      stored
        .map((s) => ({ id: formatTenantShardId(s.id), gen: s.generation }))
        .sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(stored.map((s) => s.generation)).toEqual([5, 8]);
    expect(stored[1]!.config).toEqual({ gc_period: '2h' });
  });

  it('works in pages: hundreds of shards cost a few batch reads and transactions, not calls per shard', async () => {
    for (let i = 0; i < 250; i++) await seed(1, confirmedOn(1, 4));
    // Secondaries and stale copies on the node are read in the same pages.
    for (let i = 0; i < 20; i++)
      await seed(
        2,
        (x) => ({
          ...confirmedOn(2, 4)(x),
          observed: {
            '2': attachedConf(shardIdentity(x), x.config, 4),
            '1': secondaryConf(shardIdentity(x), x.config),
          },
        }),
        [1],
      );
    const calls = { getShard: 0, getShards: 0, saveShards: 0 };
    for (const name of Object.keys(calls) as Array<keyof typeof calls>) {
      const original = (w.tenants[name] as (...a: unknown[]) => Promise<unknown>).bind(w.tenants);
      (w.tenants as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        calls[name] += 1;
        return original(...a);
      };
    }
    const answer = await reAttach(w.context, 1);
    expect(answer).toHaveLength(250);
    expect(new Set(answer.map((a) => a.gen))).toEqual(new Set([5]));
    // 270 shards: 3 batch reads of 100; 250 writes, several shards to a transaction.
    expect(calls).toMatchObject({ getShard: 0, getShards: 3 });
    expect(calls.saveShards).toBeGreaterThan(0);
    expect(calls.saveShards).toBeLessThanOrEqual(8);
  });

  it('stops once a newer re-attach of the node began (its caller gave up), leaving what it wrote valid', async () => {
    for (let i = 0; i < 1_200; i++) await seed(1, confirmedOn(1, 4));
    const getShards = w.tenants.getShards.bind(w.tenants);
    let read = 0;
    let newer: Promise<unknown> | null = null;
    w.tenants.getShards = async (ids) => {
      read += ids.length;
      // The pageserver asks again while the first call is half way through.
      if (read >= 600 && !newer) newer = startWarmUp(w.nodes, 1, Date.now() + 1_000);
      await newer;
      return getShards(ids);
    };
    await expect(reAttach(w.context, 1)).rejects.toBeInstanceOf(ConflictError);
    // It stopped at the next check: the rest were not read, let alone written.
    expect(read).toBeLessThan(1_200);
    const firstPass = (await w.tenants.nodeMemberships(1)).length;
    expect(firstPass).toBe(1_200);
    w.tenants.getShards = getShards;
    const answer = await reAttach(w.context, 1);
    expect(answer).toHaveLength(1_200);
    // Every shard once more, past whatever the abandoned call issued: no generation answered twice.
    for (const { id, gen } of answer) {
      const shard = (await w.tenants.getShards([parseTenantShardId(id)]))[0]!;
      expect(shard.generation).toBe(gen);
      expect(gen).toBeGreaterThanOrEqual(5);
    }
    expect(answer.filter((a) => a.gen === 6).length).toBeGreaterThan(0);
    expect(answer.filter((a) => a.gen === 5).length).toBeGreaterThan(0);
  });
});
