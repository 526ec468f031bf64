// The node, lease and controller-meta stores' contract: in memory and on DynamoDB Local alike.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../lambdas/core/errors';
import { shardsOfCount, type TenantShardId } from '../../../lambdas/core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../../../lambdas/core/leases';
import { newTenantId } from '../../support/memory';

import { addNodes, STORE_KINDS, type Stores } from './store-contract';

describe.each(STORE_KINDS)('stores %s', (_name, open) => {
  let s: Stores;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  describe('NodeStore', () => {
    it('creates once, updates from the current version only, lists by id', async () => {
      await addNodes(s.nodes, [3, 1]);
      await expect(addNodes(s.nodes, [1])).rejects.toBeInstanceOf(VersionConflictError);
      expect((await s.nodes.list()).map((n) => [n.id, n.version])).toEqual([
        [1, 1],
        [3, 1],
      ]);
      const updated = await s.nodes.update(1, 1, { availability: 'Offline' });
      expect(updated).toMatchObject({ id: 1, availability: 'Offline', version: 2 });
      await expect(s.nodes.update(1, 1, { scheduling: 'Pause' })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      await expect(s.nodes.update(9, 1, { scheduling: 'Pause' })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      await s.nodes.delete(3);
      expect(await s.nodes.get(3)).toBeUndefined();
      expect(await s.nodes.get(1)).toMatchObject({ availability: 'Offline', scheduling: 'Filling' });
    });
  });

  describe('LeaseStore', () => {
    it('admits one owner until release or expiry; the owner may renew', async () => {
      const t = newTenantId();
      expect(await s.leases.holder(t, 'L')).toBeUndefined();
      expect(await s.leases.acquire(t, 'L', 'a', 1000)).toBe(true);
      expect(await s.leases.acquire(t, 'L', 'b', 1000)).toBe(false);
      expect(await s.leases.holder(t, 'L')).toEqual({ name: 'L', owner: 'a', expiresAt: 1_001_000 });
      // Another lease name of the same tenant is independent.
      expect(await s.leases.acquire(t, 'M', 'b', 1000)).toBe(true);
      expect(await s.leases.acquire(t, 'L', 'a', 1000)).toBe(true);
      // Releasing someone else's lease does nothing.
      await s.leases.release(t, 'L', 'b');
      expect(await s.leases.acquire(t, 'L', 'b', 1000)).toBe(false);
      s.advance(1001);
      expect(await s.leases.holder(t, 'L')).toBeUndefined();
      expect(await s.leases.acquire(t, 'L', 'b', 1000)).toBe(true);
      // a's lease expired and b holds it: a's late release must not free it.
      await s.leases.release(t, 'L', 'a');
      expect(await s.leases.acquire(t, 'L', 'c', 1000)).toBe(false);
      await s.leases.release(t, 'L', 'b');
      expect(await s.leases.acquire(t, 'L', 'c', 1000)).toBe(true);
    });
  });

  describe('LeaseStore: shard leases under tenant operations', () => {
    it('refuses a shard lease while another owner runs a tenant operation', async () => {
      const t = newTenantId();
      const [a, b] = shardsOfCount(t, 2) as [TenantShardId, TenantShardId];
      expect(await s.leases.acquireShard(a, 'reconciler', 1000)).toBe(true);
      expect(await s.leases.acquire(t, TENANT_OPERATION_LEASE, 'split', 5000)).toBe(true);
      expect(await s.leases.acquireShard(b, 'reconciler', 1000)).toBe(false);
      // Work on behalf of the operation itself may take the shard.
      expect(await s.leases.acquireShard(b, 'split-step', 1000, 'split')).toBe(true);
      expect(await s.leases.acquireShard(a, 'other', 1000, 'split')).toBe(false);
      expect((await s.leases.shardHolders(t)).map((h) => [h.name, h.owner])).toEqual([
        [shardLease(a), 'reconciler'],
        [shardLease(b), 'split-step'],
      ]);
      // Expired leases are not holders, and the expired operation no longer blocks.
      s.advance(1001);
      expect(await s.leases.shardHolders(t)).toEqual([]);
      expect(await s.leases.acquireShard(a, 'x', 10_000)).toBe(false);
      s.advance(5000);
      expect(await s.leases.acquireShard(a, 'x', 10_000)).toBe(true);
      expect(await s.leases.shardHolders(t)).toEqual([
        { name: shardLease(a), owner: 'x', expiresAt: expect.any(Number) },
      ]);
    });
  });

  describe('LeaseStore: several shard leases of a tenant at once', () => {
    it('takes all of them, each for its owner, or none', async () => {
      const t = newTenantId();
      const [a, b, c] = shardsOfCount(t, 4) as [TenantShardId, TenantShardId, TenantShardId];
      const owned = (ids: TenantShardId[], prefix: string) =>
        ids.map((id) => ({ id, owner: `${prefix}/${id.number}` }));
      expect(await s.leases.acquireShards(t, owned([a, b], 'req'), 1000)).toBe(true);
      expect((await s.leases.shardHolders(t)).map((h) => h.owner)).toEqual(['req/0', 'req/1']);
      // One of them held by someone else: none is taken.
      expect(await s.leases.acquireShards(t, owned([b, c], 'other'), 1000)).toBe(false);
      expect(await s.leases.holder(t, shardLease(c))).toBeUndefined();
      // The same owners again: already theirs.
      expect(await s.leases.acquireShards(t, owned([a, b], 'req'), 1000)).toBe(true);
      expect(await s.leases.acquire(t, TENANT_OPERATION_LEASE, 'split', 5000)).toBe(true);
      expect(await s.leases.acquireShards(t, owned([c], 'req'), 1000)).toBe(false);
      expect(await s.leases.acquireShards(t, owned([c], 'split-step'), 1000, 'split')).toBe(true);
    });
  });

  describe('LeaseStore: holders by shard, and cancellation', () => {
    it('reads the holders of many shards by key, and flags a holder asked to stop', async () => {
      const t = newTenantId();
      const u = newTenantId();
      const [a, b] = shardsOfCount(t, 2) as [TenantShardId, TenantShardId];
      const [c] = shardsOfCount(u, 0) as [TenantShardId];
      expect(await s.leases.acquireShard(a, 'r1', 1000)).toBe(true);
      expect(await s.leases.acquireShard(c, 'r2', 5000)).toBe(true);
      const held = await s.leases.shardHoldersOf([a, b, c, a]);
      const owners = held.map((h) => [h.id, h.holder.owner] as const).sort((x, y) => (x[1] < y[1] ? -1 : 1));
      expect(owners).toEqual([
        [a, 'r1'],
        [c, 'r2'],
      ]);
      // Only the holder named can be asked to stop; the flag shows until the lease goes.
      expect(await s.leases.cancel(t, shardLease(a), 'someone-else')).toBe(false);
      expect(await s.leases.cancel(t, shardLease(b), 'r1')).toBe(false);
      expect(await s.leases.cancel(t, shardLease(a), 'r1')).toBe(true);
      expect(await s.leases.holder(t, shardLease(a))).toMatchObject({ owner: 'r1', cancelled: true });
      expect((await s.leases.holder(u, shardLease(c)))?.cancelled).toBeUndefined();
      s.advance(1001);
      expect(await s.leases.cancel(t, shardLease(a), 'r1')).toBe(false);
      expect((await s.leases.shardHoldersOf([a, c])).map((h) => h.holder.owner)).toEqual(['r2']);
      // A new holder starts uncancelled.
      expect(await s.leases.acquireShard(a, 'r3', 1000)).toBe(true);
      expect((await s.leases.holder(t, shardLease(a)))?.cancelled).toBeUndefined();
    });
  });

  describe('ControllerMetaStore', () => {
    it('is ready only once the current startup epoch is marked ready', async () => {
      expect(await s.meta.get()).toEqual({ startupEpoch: null, readyEpoch: null, version: 0 });
      await s.meta.beginStartup('e1');
      await s.meta.markReady('e1');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'e1', readyEpoch: 'e1' });
      await s.meta.beginStartup('e2');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'e2', readyEpoch: null });
    });

    it('lets a finished start take over from a ready epoch, never from one still starting', async () => {
      await s.meta.markReady('deploy-1');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'deploy-1', readyEpoch: 'deploy-1' });
      await s.meta.markReady('deploy-2');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'deploy-2', readyEpoch: 'deploy-2' });
      await s.meta.beginStartup('local');
      await s.meta.markReady('deploy-3');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'local', readyEpoch: null });
      await s.meta.markReady('local');
      expect(await s.meta.get()).toMatchObject({ startupEpoch: 'local', readyEpoch: 'local' });
    });
  });
});
