// The tenant store's contract: in memory and on DynamoDB Local alike.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../../lambdas/core/errors';
import { formatTenantShardId, shardsOfCount } from '../../../lambdas/core/ids';
import { TENANT_OPERATION_LEASE } from '../../../lambdas/core/leases';
import { attachedConf } from '../../../lambdas/core/model/location-config';
import { SEND_WINDOW_MS, withoutSending, withSending } from '../../../lambdas/core/model/sending';
import { shardIdentity, type TenantShard } from '../../../lambdas/core/model/tenant-shard';
import { isDirty } from '../../../lambdas/core/reconcile-plan';
import { newTenantId } from '../../support/memory';

import { addNodes, counts, STORE_KINDS, type Stores, settled, shardOf, tenantOf } from './store-contract';

describe.each(STORE_KINDS)('stores %s', (_name, open) => {
  let s: Stores;
  beforeEach(async () => {
    s = await open();
  });
  afterEach(async () => {
    await s.close();
  });

  describe('TenantStore', () => {
    it('creates a tenant once, with its shards in shard order at version 1', async () => {
      await addNodes(s.nodes, [1, 2]);
      const t = newTenantId();
      const ids = shardsOfCount(t, 4);
      // Written out of order: the store returns shard order.
      await s.tenants.createTenant(
        tenantOf(t, 4),
        [3, 1, 0, 2].map((n) => shardOf(ids[n]!, 1 + (n % 2))),
      );
      const got = await s.tenants.getTenantWithShards(t);
      expect(got?.tenant).toEqual({ ...tenantOf(t, 4), version: 1 });
      expect(got?.shards.map((x) => x.id.number)).toEqual([0, 1, 2, 3]);
      expect(got?.shards.every((x) => x.version === 1)).toBe(true);
      expect(got?.shards[1]).toEqual({ ...shardOf(ids[1]!, 2), version: 1 });

      const again = s.tenants.createTenant(tenantOf(t, 4), [shardOf(ids[0]!, 2)]);
      await expect(again).rejects.toBeInstanceOf(VersionConflictError);
      expect(await s.tenants.getTenantWithShards(t)).toEqual(got);
      expect(await counts(s.nodes)).toEqual({ 1: [2, 0], 2: [2, 0] });
    });

    it('takes a tenant lease with the create and gives it up with a later write, both all or nothing', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const [id] = shardsOfCount(t, 0);
      const claim = { name: TENANT_OPERATION_LEASE, owner: 'api-create', ttlMs: 60_000 };
      await s.tenants.createTenant(tenantOf(t, 0), [shardOf(id!, 1)], claim);
      expect((await s.leases.holder(t, TENANT_OPERATION_LEASE))?.owner).toBe('api-create');
      // Held: nobody else takes the tenant, nor a shard of it.
      expect(await s.leases.acquire(t, TENANT_OPERATION_LEASE, 'other', 1_000)).toBe(false);
      expect(await s.leases.acquireShard(id!, 'reconcile-all', 1_000)).toBe(false);

      const read = (await s.tenants.getTenantWithShards(t))!;
      const shard = read.shards[0]!;
      const change = { before: shard, after: { ...shard, lastError: 'x' } };
      // Given up only by its holder, and the shard write with it fails as a whole.
      const wrong = s.tenants.saveShards([change], undefined, {
        name: TENANT_OPERATION_LEASE,
        owner: 'other',
      });
      await expect(wrong).rejects.toBeInstanceOf(VersionConflictError);
      expect(await s.tenants.getShard(id!)).toEqual(shard);
      expect((await s.leases.holder(t, TENANT_OPERATION_LEASE))?.owner).toBe('api-create');

      const [saved] = await s.tenants.saveShards([change], undefined, {
        name: TENANT_OPERATION_LEASE,
        owner: 'api-create',
      });
      expect(saved?.version).toBe(2);
      expect(await s.leases.holder(t, TENANT_OPERATION_LEASE)).toBeUndefined();
    });

    it('creates nothing when the lease it is to take is held by another', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const [id] = shardsOfCount(t, 0);
      expect(await s.leases.acquire(t, TENANT_OPERATION_LEASE, 'someone', 60_000)).toBe(true);
      const create = s.tenants.createTenant(tenantOf(t, 0), [shardOf(id!, 1)], {
        name: TENANT_OPERATION_LEASE,
        owner: 'api-create',
        ttlMs: 60_000,
      });
      await expect(create).rejects.toBeInstanceOf(VersionConflictError);
      expect(await s.tenants.getTenant(t)).toBeUndefined();
      expect(await counts(s.nodes)).toEqual({ 1: [0, 0] });
      // Expired, it is free to take.
      s.advance(61_000);
      await s.tenants.createTenant(tenantOf(t, 0), [shardOf(id!, 1)], {
        name: TENANT_OPERATION_LEASE,
        owner: 'api-create',
        ttlMs: 60_000,
      });
      expect((await s.leases.holder(t, TENANT_OPERATION_LEASE))?.owner).toBe('api-create');
    });

    it('answers undefined for a tenant or shard it does not have', async () => {
      const t = newTenantId();
      expect(await s.tenants.getTenant(t)).toBeUndefined();
      expect(await s.tenants.getTenantWithShards(t)).toBeUndefined();
      expect(await s.tenants.getShard({ tenantId: t, number: 0, count: 0 })).toBeUndefined();
    });

    it('refuses a write from a stale read, and writes none of it', async () => {
      await addNodes(s.nodes, [1, 2]);
      const t = newTenantId();
      const [a, b] = shardsOfCount(t, 2).map((id) => shardOf(id, 1));
      await s.tenants.createTenant(tenantOf(t, 2), [a!, b!]);
      const read = (await s.tenants.getTenantWithShards(t))!;
      const [a1, b1] = read.shards as [TenantShard, TenantShard];
      // Someone else moves shard b first.
      const [b2] = await s.tenants.saveShards([
        { before: b1, after: { ...b1, intent: { attached: 2, secondary: [] } } },
      ]);
      expect(b2?.version).toBe(2);
      const lost = s.tenants.saveShards([
        { before: a1, after: { ...a1, generation: 9 } },
        { before: b1, after: { ...b1, generation: 9 } },
      ]);
      await expect(lost).rejects.toBeInstanceOf(VersionConflictError);
      const now = (await s.tenants.getTenantWithShards(t))!;
      expect(now.shards.map((x) => [x.generation, x.version, x.intent.attached])).toEqual([
        [1, 1, 1],
        [1, 2, 2],
      ]);
      expect(await counts(s.nodes)).toEqual({ 1: [1, 0], 2: [1, 0] });
    });

    it('creates, updates and deletes shards conditioned on versions', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const [parent] = shardsOfCount(t, 0).map((id) => shardOf(id, 1));
      await s.tenants.createTenant(tenantOf(t, 0), [parent!]);
      const stored = (await s.tenants.getShard(parent!.id))!;
      // Creating an item that exists is a conflict.
      await expect(s.tenants.saveShards([{ before: null, after: stored }])).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      const children = shardsOfCount(t, 2).map((id) => shardOf(id, 1));
      const saved = await s.tenants.saveShards([
        { before: stored, after: { ...stored, splitting: true } },
        ...children.map((c) => ({ before: null, after: c })),
      ]);
      expect(saved.map((x) => [formatTenantShardId(x.id), x.version])).toEqual([
        [t, 2],
        [`${t}-0002`, 1],
        [`${t}-0102`, 1],
      ]);
      // Mixed counts sort by the NNCC index.
      expect((await s.tenants.getTenantWithShards(t))!.shards.map((x) => formatTenantShardId(x.id))).toEqual([
        t,
        `${t}-0002`,
        `${t}-0102`,
      ]);
      // Deleting from a stale version fails; from the current one succeeds.
      await expect(s.tenants.saveShards([{ before: stored, after: null }])).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      await s.tenants.saveShards([{ before: saved[0]!, after: null }]);
      expect(await s.tenants.getShard(parent!.id)).toBeUndefined();
      expect(await counts(s.nodes)).toEqual({ 1: [2, 0] });
    });

    it('keeps the mark of a call on its way, and drops it when the mark is cleared', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const [shard] = shardsOfCount(t, 0).map((id) => shardOf(id, 1));
      await s.tenants.createTenant(tenantOf(t, 0), [withSending(shard!, 1, 1_000)]);
      const marked = (await s.tenants.getShard(shard!.id))!;
      expect(marked.sending).toEqual({ node: 1, until: 1_000 + SEND_WINDOW_MS });
      await s.tenants.saveShards([{ before: marked, after: withoutSending(marked) }]);
      const cleared = (await s.tenants.getShard(shard!.id))!;
      expect(cleared).toEqual({ ...withoutSending(marked), version: 2 });
      expect('sending' in cleared).toBe(false);
    });

    it('writes the tenant item only from its current version, together with the shards', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      await s.tenants.createTenant(tenantOf(t, 0), [shardOf({ tenantId: t, number: 0, count: 0 }, 1)]);
      const { tenant, shards } = (await s.tenants.getTenantWithShards(t))!;
      const shard = shards[0]!;
      await s.tenants.saveShards([], { before: tenant, after: { ...tenant, lastComputeNotification: 'x' } });
      expect(await s.tenants.getTenant(t)).toMatchObject({ lastComputeNotification: 'x', version: 2 });
      const stale = s.tenants.saveShards([{ before: shard, after: { ...shard, generation: 5 } }], {
        before: tenant,
        after: { ...tenant, lastComputeNotification: 'y' },
      });
      await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
      expect((await s.tenants.getShard(shard.id))?.generation).toBe(1);
      expect((await s.tenants.getTenant(t))?.lastComputeNotification).toBe('x');

      await expect(s.tenants.deleteTenantItem(tenant)).rejects.toBeInstanceOf(VersionConflictError);
      await s.tenants.deleteTenantItem((await s.tenants.getTenant(t))!);
      expect(await s.tenants.getTenant(t)).toBeUndefined();
    });

    it('keeps memberships and node counters in step with intents, generation and observed', async () => {
      await addNodes(s.nodes, [1, 2, 3, 4]);
      const t = newTenantId();
      const id = { tenantId: t, number: 0, count: 0 };
      await s.tenants.createTenant(tenantOf(t, 0), [shardOf(id, 1, [2])]);
      expect(await s.tenants.nodeMemberships(1)).toEqual([
        { id, attached: true, secondary: false, issued: false, observed: false },
      ]);
      expect(await s.tenants.nodeMemberships(2)).toEqual([
        { id, attached: false, secondary: true, issued: false, observed: false },
      ]);
      expect(await counts(s.nodes)).toEqual({ 1: [1, 0], 2: [0, 1], 3: [0, 0], 4: [0, 0] });

      // Move the attachment to 3; 1 keeps the generation and an observed location.
      const before = (await s.tenants.getShard(id))!;
      await s.tenants.saveShards([
        {
          before,
          after: {
            ...before,
            intent: { attached: 3, secondary: [2] },
            generationPageserver: 1,
            observed: { '1': attachedConf(shardIdentity(before), before.config, 1), '4': null },
          },
        },
      ]);
      expect(await s.tenants.nodeMemberships(1)).toEqual([
        { id, attached: false, secondary: false, issued: true, observed: true },
      ]);
      expect(await s.tenants.nodeMemberships(3)).toEqual([
        { id, attached: true, secondary: false, issued: false, observed: false },
      ]);
      // An unknown (null) observed entry is still a membership: the node may hold something.
      expect(await s.tenants.nodeMemberships(4)).toEqual([
        { id, attached: false, secondary: false, issued: false, observed: true },
      ]);
      expect(await counts(s.nodes)).toEqual({ 1: [0, 0], 2: [0, 1], 3: [1, 0], 4: [0, 0] });

      // A node with no flag left loses the membership; deleting the shard clears everything.
      const moved = (await s.tenants.getShard(id))!;
      await s.tenants.saveShards([
        { before: moved, after: { ...moved, generationPageserver: 3, observed: {} } },
      ]);
      expect(await s.tenants.nodeMemberships(1)).toEqual([]);
      expect(await s.tenants.nodeMemberships(4)).toEqual([]);
      await s.tenants.saveShards([{ before: (await s.tenants.getShard(id))!, after: null }]);
      for (const n of [1, 2, 3, 4]) expect(await s.tenants.nodeMemberships(n)).toEqual([]);
      expect(await counts(s.nodes)).toEqual({ 1: [0, 0], 2: [0, 0], 3: [0, 0], 4: [0, 0] });
    });

    it('lists a node’s memberships across tenants in shard-id order', async () => {
      await addNodes(s.nodes, [1]);
      const [t1, t2] = [newTenantId(), newTenantId()].sort() as [string, string];
      await s.tenants.createTenant(tenantOf(t2, 0), [shardOf({ tenantId: t2, number: 0, count: 0 }, 1)]);
      await s.tenants.createTenant(
        tenantOf(t1, 2),
        shardsOfCount(t1, 2).map((id) => shardOf(id, 1)),
      );
      const ids = (await s.tenants.nodeMemberships(1)).map((m) => formatTenantShardId(m.id));
      expect(ids).toEqual([`${t1}-0002`, `${t1}-0102`, t2]);
    });

    it('fails a write whose counters name an unregistered node', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const create = s.tenants.createTenant(tenantOf(t, 0), [
        shardOf({ tenantId: t, number: 0, count: 0 }, 7),
      ]);
      await expect(create).rejects.toBeInstanceOf(VersionConflictError);
      expect(await s.tenants.getTenant(t)).toBeUndefined();
      expect(await s.tenants.nodeMemberships(7)).toEqual([]);
    });

    it('queues dirty shards and drops them once observed matches intent', async () => {
      await addNodes(s.nodes, [1, 2]);
      const t = newTenantId();
      const shards = shardsOfCount(t, 4).map((id) => shardOf(id, 1 + (id.number % 2)));
      // Shard 3 starts settled; the others need a reconcile.
      shards[3] = settled(shards[3]!);
      await s.tenants.createTenant(tenantOf(t, 4), shards);
      const listAll = async (limit: number) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await s.tenants.listDirty(limit, cursor);
          expect(page.ids.length).toBeLessThanOrEqual(limit);
          seen.push(...page.ids.map(formatTenantShardId));
          cursor = page.next;
        } while (cursor);
        return seen.sort();
      };
      expect(await listAll(2)).toEqual([`${t}-0004`, `${t}-0104`, `${t}-0204`]);
      const one = (await s.tenants.getShard(shards[1]!.id))!;
      await s.tenants.saveShards([{ before: one, after: settled(one) }]);
      expect(await listAll(10)).toEqual([`${t}-0004`, `${t}-0204`]);
      // Whatever isDirty says of a shard (a split in progress, say) is what the queue holds.
      const zero = (await s.tenants.getShard(shards[0]!.id))!;
      await s.tenants.saveShards([{ before: zero, after: { ...settled(zero), splitting: true } }]);
      const expected = (await s.tenants.getTenantWithShards(t))!.shards
        .filter(isDirty)
        .map((x) => formatTenantShardId(x.id));
      expect(await listAll(1)).toEqual(expected);
    });

    it('pages through tenants in id order', async () => {
      const ids = [newTenantId(), newTenantId(), newTenantId(), newTenantId(), newTenantId()];
      for (const t of ids) await s.tenants.createTenant(tenantOf(t, 0), []);
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await s.tenants.listTenants(2, after);
        expect(page.tenants.length).toBeLessThanOrEqual(2);
        seen.push(...page.tenants.map((x) => x.tenantId));
        after = page.next;
      } while (after);
      expect(seen).toEqual([...ids].sort());
      expect((await s.tenants.listTenants(10, ids[2])).tenants.map((x) => x.tenantId)).toEqual(
        [...ids].sort().filter((x) => x > ids[2]!),
      );
    });

    it('hands out copies: changing what was read changes nothing stored', async () => {
      await addNodes(s.nodes, [1]);
      const t = newTenantId();
      const id = { tenantId: t, number: 0, count: 0 };
      await s.tenants.createTenant(tenantOf(t, 0), [shardOf(id, 1)]);
      const read = (await s.tenants.getShard(id))!;
      read.intent.secondary.push(5);
      read.observed['1'] = null;
      expect(await s.tenants.getShard(id)).toEqual({ ...shardOf(id, 1), version: 1 });
    });
  });
});
