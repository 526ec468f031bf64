// Startup's announcements on in-memory ports: every placed tenant announced a page at a time,
// written only where what it remembers is not what was sent; a tenant that changed during its
// delivery, or whose delivery failed, left owed; what the budget does not reach marked owed.
// No lease is taken, so the race with a leased notifier is tested from both sides.
import { beforeEach, describe, expect, it } from 'vitest';
import { buildComputeNotification, notificationFingerprint } from '../../lambdas/core/compute-notification';
import { attachedConf } from '../../lambdas/core/model/location-config';
import type { PageserverNode } from '../../lambdas/core/model/node';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import {
  type AnnounceProgress,
  announcePages,
  markOwed,
  markUnannounced,
} from '../../lambdas/notifications/announce-all';
import { notifyTenant } from '../../lambdas/notifications/notify-tenant';
import { reconcileDeps } from '../../lambdas/reconciler/reconcile-shard';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
let nodes: Map<number, PageserverNode>;
beforeEach(async () => {
  w = memoryWorld();
  nodes = new Map((await addNodes(w.nodes, [1, 2])).map((n) => [n.id, n]));
});

/** What a tenant left owed remembers as delivered: a mark no notification has. */
const OWED = /^owed:/;

const START: AnnounceProgress = { next: null, until: null, notified: 0, notifyFailed: 0, status: 'running' };

/** Attached and confirmed on `node` in the shard's generation. */
const placedOn =
  (node: number) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generationPageserver: node,
    observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, s.generation) },
  });

/** Moves the shard to `node` in a new generation, confirmed there, owing a notification. */
async function move(shard: TenantShard, node: number) {
  const s = (await w.tenants.getShard(shard.id))!;
  const gen = s.generation + 1;
  await w.tenants.saveShards([
    {
      before: s,
      after: {
        ...s,
        generation: gen,
        generationPageserver: node,
        intent: { attached: node, secondary: [] },
        pendingComputeNotification: true,
        observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, gen) },
      },
    },
  ]);
}

function countWrites() {
  const calls = { saveShards: 0 };
  const save = w.tenants.saveShards.bind(w.tenants);
  w.tenants.saveShards = (changes, tenant) => {
    calls.saveShards += 1;
    return save(changes, tenant);
  };
  return calls;
}

describe('announcePages', () => {
  it('announces every placed tenant over many pages, writing only what was not remembered', async () => {
    for (let i = 0; i < 230; i++)
      await seedTenant(w.tenants, { attached: [1 + (i % 2)], shape: placedOn(1 + (i % 2)) });
    const unplaced = await seedTenant(w.tenants, { attached: [1] });
    const first = await announcePages(w.context, START, 60_000);
    expect(first).toMatchObject({ status: 'done', notified: 230, notifyFailed: 0, next: null });
    expect(new Set(w.computeHook.delivered.map((n) => n.tenant_id)).size).toBe(230);
    expect(w.computeHook.attempts.some((n) => n.tenant_id === unplaced.tenant.tenantId)).toBe(false);
    // What was delivered is remembered: a second pass announces all again and writes nothing.
    const writes = countWrites();
    expect(await announcePages(w.context, START, 60_000)).toMatchObject({ status: 'done', notified: 230 });
    expect(w.computeHook.delivered).toHaveLength(460);
    expect(writes.saveShards).toBe(0);
  });

  it('records the delivery and clears what was owed on a tenant that did not change', async () => {
    const { tenant, shards } = await seedTenant(w.tenants, {
      count: 2,
      attached: [1, 2],
      shape: (s) => ({ ...placedOn(s.id.number + 1)(s), pendingComputeNotification: true }),
    });
    await announcePages(w.context, START, 60_000);
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards.map((s) => s.pendingComputeNotification)).toEqual([false, false]);
    const expected = buildComputeNotification(tenant.tenantId, shards)!;
    expect(after.tenant.lastComputeNotification).toBe(notificationFingerprint(expected));
  });

  it('leaves owed a tenant whose delivery failed, and one that changed during its delivery', async () => {
    const failing = await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    const moving = await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    w.computeHook.onNotify = async (n) => {
      if (n.tenant_id === moving.tenant.tenantId && w.computeHook.attempts.length <= 2)
        await move(moving.shards[0]!, 2);
    };
    w.computeHook.answer(
      ...[failing, moving].map((t) =>
        t === failing ? { ok: false as const, fatal: false, message: 'refused' } : { ok: true as const },
      ),
    );
    const progress = await announcePages(w.context, START, 60_000);
    expect(progress).toMatchObject({ status: 'done', notifyFailed: 1 });
    for (const t of [failing, moving]) {
      const after = (await w.tenants.getTenantWithShards(t.tenant.tenantId))!;
      expect(after.tenant.lastComputeNotification, t.tenant.tenantId).toMatch(OWED);
      expect(after.shards[0]?.pendingComputeNotification, t.tenant.tenantId).toBe(true);
    }
  });

  it('leaves announced a tenant whose shard got a new generation in the same place during its delivery (a re-attach)', async () => {
    const { tenant, shards } = await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    w.computeHook.onNotify = async () => {
      // Node 1's pageserver restarts meanwhile: its re-attach writes the shard in a new generation.
      const s = (await w.tenants.getShard(shards[0]!.id))!;
      await w.tenants.saveShards([
        { before: s, after: { ...placedOn(1)({ ...s, generation: s.generation + 1 }) } },
      ]);
    };
    const writes = countWrites();
    await announcePages(w.context, START, 60_000);
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.tenant.lastComputeNotification).toBe(
      notificationFingerprint(buildComputeNotification(tenant.tenantId, after.shards)!),
    );
    expect(after.shards[0]?.pendingComputeNotification).toBe(false);
    // The re-attach's write and one of its own: what it delivered, remembered.
    expect(writes.saveShards).toBe(2);
  });

  it('leaves owed a tenant whose item was written during its delivery, rather than record over it', async () => {
    const { tenant } = await seedTenant(w.tenants, {
      attached: [1],
      shape: (s) => ({ ...placedOn(1)(s), pendingComputeNotification: true }),
    });
    w.computeHook.onNotify = async () => {
      // A leased notifier records what it delivered (an older placement, arriving after ours).
      const t = (await w.tenants.getTenant(tenant.tenantId))!;
      await w.tenants.saveShards([], { before: t, after: { ...t, lastComputeNotification: 'older' } });
    };
    await announcePages(w.context, START, 60_000);
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.tenant.lastComputeNotification).toMatch(OWED);
    expect(after.shards[0]?.pendingComputeNotification).toBe(true);
  });

  it('stops at its budget, saying where; markUnannounced leaves the rest owed', async () => {
    for (let i = 0; i < 120; i++) await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    // A budget already over: no page is started.
    const over = await announcePages(w.context, { ...START, until: Date.now() - 1 }, 60_000);
    expect(over).toMatchObject({ status: 'expired', next: null, notified: 0 });
    let marking = await markUnannounced(w.context, over.next);
    while (!marking.done) marking = await markUnannounced(w.context, marking.next);
    const page = await w.tenants.listTenantsWithShards(1000);
    expect(page.tenants).toHaveLength(120);
    for (const { tenant, shards } of page.tenants) {
      expect(tenant.lastComputeNotification).toMatch(OWED);
      expect(shards.every((s) => s.pendingComputeNotification)).toBe(true);
    }
    expect(w.tenants.dirtyIds()).toHaveLength(120);
  });
});

describe('announcements without a lease, beside a leased notifier', () => {
  it('an announcement arriving after a newer one from a reconcile leaves the tenant owed', async () => {
    const { tenant, shards } = await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    let raced = false;
    w.computeHook.onNotify = async () => {
      if (raced) return;
      raced = true;
      // While startup's "node 1" is on its way, the shard moves and a reconcile announces
      // "node 2", which the hook gets first; startup's arrives after it.
      await move(shards[0]!, 2);
      expect(
        (await notifyTenant(tenant.tenantId, reconcileDeps(w.context, 'r'), nodes, Date.now() + 5_000))
          .status,
      ).toBe('sent');
    };
    await announcePages(w.context, START, 60_000);
    expect(w.computeHook.delivered.map((n) => n.shards[0]?.node_id)).toEqual([2, 1]);
    // The control plane holds node 1; the tenant must owe it node 2.
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards[0]?.pendingComputeNotification).toBe(true);
    expect(after.tenant.lastComputeNotification).toMatch(OWED);
  });

  it('a leased notifier whose tenant was written during its delivery leaves it owed', async () => {
    const { tenant, shards } = await seedTenant(w.tenants, { attached: [1], shape: placedOn(1) });
    await move(shards[0]!, 2);
    w.computeHook.onNotify = async (n) => {
      if (n.shards[0]?.node_id !== 2) return;
      // A startup announcement read "node 1" earlier and found the tenant changed after its own
      // delivery (which the hook may get after this one): it marks the tenant owed.
      await markOwed(w.context, tenant.tenantId);
    };
    const outcome = await notifyTenant(
      tenant.tenantId,
      reconcileDeps(w.context, 'r'),
      nodes,
      Date.now() + 5_000,
    );
    // Delivered, but not settled: a reconcile taking it as sent would clear its shard's flag.
    expect(outcome).toMatchObject({ status: 'failed', fatal: false });
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards[0]?.pendingComputeNotification).toBe(true);
    expect(after.tenant.lastComputeNotification).toBeNull();
  });
});
