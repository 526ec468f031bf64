// Compute notifications on in-memory ports: sent once every shard is placed, not re-sent while
// identical, and a failure is reported (and forgets what was delivered, since the hook may or
// may not have seen it).
import { beforeEach, describe, expect, it } from 'vitest';
import { NOTIFY_LEASE } from '../../lambdas/core/leases';
import { attachedConf } from '../../lambdas/core/model/location-config';
import type { PageserverNode } from '../../lambdas/core/model/node';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { type NotifyOutcome, notifyTenant } from '../../lambdas/notifications/notify-tenant';
import { reconcileDeps } from '../../lambdas/reconciler/reconcile-shard';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../support/memory';

let w: MemoryWorld;
let nodes: Map<number, PageserverNode>;
beforeEach(async () => {
  w = memoryWorld();
  nodes = new Map((await addNodes(w.nodes, [1, 2], { availabilityZoneId: 'az-1' })).map((n) => [n.id, n]));
});

/** Attached and confirmed on `node` in the shard's generation, owing a notification. */
const placedOn =
  (node: number) =>
  (s: TenantShard): TenantShard => ({
    ...s,
    generationPageserver: node,
    pendingComputeNotification: true,
    observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, s.generation) },
  });

async function twoShards(placed: [boolean, boolean] = [true, true]) {
  return seedTenant(w.tenants, {
    count: 2,
    attached: [1, 2],
    // The tenant's home AZ: what the notification carries as preferred_az.
    shape: (s) => ({ ...(placed[s.id.number] ? placedOn(s.id.number + 1)(s) : s), preferredAz: 'az-1' }),
  });
}

const notify = (
  tenantId: string,
  force = false,
  owner = 'n1',
  deadline = Date.now() + 5_000,
): Promise<NotifyOutcome> => notifyTenant(tenantId, reconcileDeps(w.context, owner), nodes, deadline, force);

describe('notifyTenant', () => {
  it('sends where every shard is, remembers it, and clears what was owed', async () => {
    const { tenant } = await twoShards();
    expect(await notify(tenant.tenantId)).toEqual({ status: 'sent' });
    expect(w.computeHook.delivered).toEqual([
      {
        tenant_id: tenant.tenantId,
        stripe_size: tenant.stripeSize,
        preferred_az: 'az-1',
        shards: [
          { node_id: 1, shard_number: 0 },
          { node_id: 2, shard_number: 1 },
        ],
      },
    ]);
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards.map((s) => s.pendingComputeNotification)).toEqual([false, false]);
    expect(after.tenant.lastComputeNotification).not.toBeNull();
    expect(w.tenants.dirtyIds()).toEqual([]);
    // The lease is not kept.
    expect(await w.leases.holder(tenant.tenantId, NOTIFY_LEASE)).toBeUndefined();
  });

  it('does not re-send an identical notification, unless forced', async () => {
    const { tenant } = await twoShards();
    await notify(tenant.tenantId);
    expect(await notify(tenant.tenantId)).toEqual({ status: 'skipped' });
    expect(w.computeHook.attempts).toHaveLength(1);
    expect(await notify(tenant.tenantId, true)).toEqual({ status: 'sent' });
    expect(w.computeHook.attempts).toHaveLength(2);
    expect(w.metrics.computeNotifications.get({ result: 'skipped' })).toBe(1);
    expect(w.metrics.computeNotifications.get({ result: 'ok' })).toBe(2);
  });

  it('sends again when the placement changed', async () => {
    const { tenant } = await twoShards();
    await notify(tenant.tenantId);
    const shard = (await w.tenants.getTenantWithShards(tenant.tenantId))!.shards[1]!;
    const moved = placedOn(1)({
      ...shard,
      generation: shard.generation + 1,
      intent: { attached: 1, secondary: [] },
    });
    await w.tenants.saveShards([{ before: shard, after: moved }]);
    expect(await notify(tenant.tenantId)).toEqual({ status: 'sent' });
    expect(w.computeHook.delivered.at(-1)?.shards).toEqual([
      { node_id: 1, shard_number: 0 },
      { node_id: 1, shard_number: 1 },
    ]);
  });

  it('sends nothing while a shard is not placed yet', async () => {
    const { tenant } = await twoShards([true, false]);
    expect(await notify(tenant.tenantId)).toEqual({ status: 'skipped' });
    expect(w.computeHook.attempts).toEqual([]);
    // The placed shard still owes its notification.
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards[0]?.pendingComputeNotification).toBe(true);
  });

  it('reports a failure, keeps what is owed, and does not later skip the same notification', async () => {
    const { tenant } = await twoShards();
    await notify(tenant.tenantId);
    // A forced re-send fails: the hook may or may not have acted on it.
    w.computeHook.fail(1, true, 'control plane says no');
    const failed = await notify(tenant.tenantId, true);
    expect(failed).toEqual({
      status: 'failed',
      fatal: true,
      message: expect.stringContaining('control plane says no'),
    });
    expect((await w.tenants.getTenant(tenant.tenantId))?.lastComputeNotification).toBeNull();
    // So the next, unforced notification is sent rather than skipped as "already delivered".
    expect(await notify(tenant.tenantId)).toEqual({ status: 'sent' });
    expect(w.computeHook.attempts).toHaveLength(3);
  });

  it('keeps the owed flags when delivery fails', async () => {
    const { tenant } = await twoShards();
    w.computeHook.fail(1);
    const outcome = await notify(tenant.tenantId);
    expect(outcome).toMatchObject({ status: 'failed', fatal: false });
    const after = (await w.tenants.getTenantWithShards(tenant.tenantId))!;
    expect(after.shards.map((s) => s.pendingComputeNotification)).toEqual([true, true]);
    expect(w.tenants.dirtyIds()).toHaveLength(2);
  });

  it('skips when no compute hook is configured', async () => {
    w = memoryWorld({ computeHook: false });
    await addNodes(w.nodes, [1, 2]);
    const { tenant } = await twoShards();
    expect(await notify(tenant.tenantId)).toEqual({ status: 'skipped' });
    expect(w.computeHook.attempts).toEqual([]);
  });

  it('fails without sending when another notifier holds the tenant past the deadline', async () => {
    const { tenant } = await twoShards();
    await w.leases.acquire(tenant.tenantId, NOTIFY_LEASE, 'someone-else', 60_000);
    const outcome = await notify(tenant.tenantId, false, 'n1', Date.now() + 60);
    expect(outcome).toMatchObject({ status: 'failed', fatal: false });
    expect(w.computeHook.attempts).toEqual([]);
  });
});
