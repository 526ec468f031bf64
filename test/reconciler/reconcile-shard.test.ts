// The reconciler against in-memory ports: generations are persisted before a pageserver sees
// them, observed state is recorded only after a call is confirmed, a failure leaves the shard
// dirty with its error, and the shard lease admits one reconciler at a time.
import { beforeEach, describe, expect, it } from 'vitest';
import { formatTenantShardId, type TenantShardId } from '../../lambdas/core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../../lambdas/core/leases';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { withoutSending, withSending } from '../../lambdas/core/model/sending';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { isDirty } from '../../lambdas/core/reconcile-plan';
import { reAttach } from '../../lambdas/nodes/re-attach';
import {
  type ReconcileOutcome,
  reconcileDeps,
  reconcileShard,
} from '../../lambdas/reconciler/reconcile-shard';
import { updateShard } from '../../lambdas/reconciler/shard-update';
import { addNodes, type MemoryWorld, memoryWorld, refusal, seedTenant } from '../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
});

const reconcile = (id: TenantShardId, owner = 'test'): Promise<ReconcileOutcome> =>
  reconcileShard(id, reconcileDeps(w.context, owner), Date.now() + 5_000);

async function shardOn(attached: number, secondary: number[] = [], shape?: (s: TenantShard) => TenantShard) {
  const { shards } = await seedTenant(w.tenants, {
    attached: [attached],
    secondary: [secondary],
    generation: 4,
    shape,
  });
  return shards[0]!;
}

/** What `node` confirmed holding, in the shard's current generation, attached alone there. */
function heldBy(shard: TenantShard, node: number): TenantShard {
  return {
    ...shard,
    generationPageserver: node,
    observed: { [String(node)]: attachedConf(shardIdentity(shard), shard.config, shard.generation) },
  };
}

describe('reconcileShard', () => {
  it('stops before its next step once an operator cancelled it, leaving the shard dirty', async () => {
    // Attached on 1 and a secondary on 2 to make: two calls, cancelled during the first.
    const shard = await shardOn(1, [2]);
    w.pageservers.intercept(async (call) => {
      if (call.method !== 'putLocationConfig') return;
      const holder = await w.leases.holder(shard.id.tenantId, shardLease(shard.id));
      expect(await w.leases.cancel(shard.id.tenantId, shardLease(shard.id), holder!.owner)).toBe(true);
    });
    expect(await reconcile(shard.id)).toEqual({ status: 'cancelled' });
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' })).toHaveLength(1);
    expect(isDirty((await w.tenants.getShard(shard.id))!)).toBe(true);
    // The lease is given up for the next reconcile.
    expect(await w.leases.holder(shard.id.tenantId, shardLease(shard.id))).toBeUndefined();
  });

  it('persists the next generation, issued to the node, before the attach call carries it', async () => {
    const shard = await shardOn(1);
    const atCall: Array<TenantShard | undefined> = [];
    w.pageservers.intercept(async (call) => {
      if (call.method === 'putLocationConfig') atCall.push(await w.tenants.getShard(shard.id));
    });
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });

    const [attach] = w.pageservers.callsTo({ method: 'putLocationConfig', node: 1 });
    expect(attach?.conf).toMatchObject({ mode: 'AttachedSingle', generation: 5 });
    // At the moment of the call the table already says generation 5 went to node 1, and the
    // location is marked unknown (null) rather than claimed.
    expect(atCall[0]).toMatchObject({ generation: 5, generationPageserver: 1, observed: { '1': null } });
  });

  it('records what the pageserver confirmed only after it answered', async () => {
    const shard = await shardOn(1, [2]);
    const observedAtCall: Array<TenantShard['observed']> = [];
    w.pageservers.intercept(async (call) => {
      if (call.method === 'putLocationConfig')
        observedAtCall.push((await w.tenants.getShard(shard.id))!.observed);
    });
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });

    // Two calls (attach 1, secondary 2); during each the node's entry was unknown.
    expect(w.pageservers.calls.map((c) => [c.node, c.conf?.mode])).toEqual([
      [1, 'AttachedSingle'],
      [2, 'Secondary'],
    ]);
    expect(observedAtCall[0]?.['1']).toBeNull();
    expect(observedAtCall[1]?.['2']).toBeNull();
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after.observed).toEqual({
      '1': attachedConf(shardIdentity(after), after.config, 5),
      '2': secondaryConf(shardIdentity(after), after.config),
    });
    expect(after.lastError).toBeNull();
    expect(isDirty(after)).toBe(false);
    expect(w.tenants.dirtyIds()).toEqual([]);
    // And the pageservers hold exactly that.
    expect(w.pageservers.held(1)[formatTenantShardId(shard.id)]).toEqual(after.observed['1']);
  });

  it('tells the compute hook where the shard is once it is attached', async () => {
    const shard = await shardOn(2);
    await reconcile(shard.id);
    expect(w.computeHook.delivered).toEqual([
      {
        tenant_id: shard.id.tenantId,
        stripe_size: null,
        preferred_az: null,
        shards: [{ node_id: 2, shard_number: 0 }],
      },
    ]);
    expect((await w.tenants.getShard(shard.id))?.pendingComputeNotification).toBe(false);
  });

  it('leaves a shard whose attach failed dirty, with the error, and does not drop the old location', async () => {
    // Intent moved from 2 to 1; node 2 still holds the shard.
    const shard = await shardOn(1, [], (s) => heldBy(s, 2));
    w.pageservers.failNext(
      { method: 'putLocationConfig', node: 1, mode: 'AttachedSingle' },
      refusal(500, 'disk full'),
    );
    const outcome = await reconcile(shard.id);

    expect(outcome.status).toBe('error');
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after.lastError).toMatch(/disk full/);
    expect(isDirty(after)).toBe(true);
    expect(w.tenants.dirtyIds()).toEqual([formatTenantShardId(shard.id)]);
    // The generation issued for the failed attach stays used, and the failed call may still land
    // (its mark stays): a retry meanwhile sends that same generation, never a newer one it could undo.
    expect(after.generation).toBe(5);
    expect(after.sending).toMatchObject({ node: 1 });
    // Node 2 was never told to detach, and we still believe it holds something.
    expect(w.pageservers.callsTo({ node: 2, mode: 'Detached' })).toEqual([]);
    expect(String(2) in after.observed).toBe(true);
    expect(w.computeHook.attempts).toEqual([]);

    // The next reconcile succeeds in that generation, then detaches the old location.
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    const healed = (await w.tenants.getShard(shard.id))!;
    expect(healed.generation).toBe(5);
    expect(healed.sending).toBeUndefined();
    expect(Object.keys(healed.observed)).toEqual(['1']);
    expect(healed.lastError).toBeNull();
    expect(w.pageservers.held(2)).toEqual({});
  });

  it('moves an attachment in a safe order: old holder demoted, new one attached and announced, then old detached', async () => {
    const shard = await shardOn(1, [], (s) => heldBy(s, 2));
    const events: string[] = [];
    w.pageservers.intercept((call) => {
      if (call.method === 'putLocationConfig')
        events.push(`${call.conf?.mode}@${call.node} gen ${call.conf?.generation}`);
    });
    w.computeHook.onNotify = (n) => {
      events.push(`notify ${n.shards.map((s) => s.node_id).join(',')}`);
    };
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(events).toEqual([
      // The old holder keeps its own generation but stops acting as the only one.
      'AttachedStale@2 gen 4',
      'AttachedSingle@1 gen 5',
      'notify 1',
      'Detached@2 gen null',
    ]);
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after).toMatchObject({ generation: 5, generationPageserver: 1 });
    expect(Object.keys(after.observed)).toEqual(['1']);
  });

  it('leaves an attach on its way to a re-attaching node to land: no newer generation to undo', async () => {
    // Node 1 held the shard in generation 4 and the attach there is redone (observed unknown).
    const shard = await shardOn(1, [], (s) => ({ ...heldBy(s, 1), observed: { '1': null } }));
    const put = w.pageservers.putLocationConfig.bind(w.pageservers);
    let reattached: Array<{ id: string; gen: number }> | undefined;
    // The node restarts and re-attaches after the reconciler persisted generation 5, before it sent it.
    w.pageservers.putLocationConfig = async (node, id, conf, options) => {
      reattached ??= await reAttach(w.context, 1);
      return put(node, id, conf, options);
    };
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    // Not handed back (the call on its way is the answer), so no generation 6 for 5 to undo.
    expect(reattached).toEqual([]);
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' }).map((c) => c.conf?.generation)).toEqual([
      5,
    ]);
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after).toMatchObject({ generation: 5, generationPageserver: 1 });
    expect(after.sending).toBeUndefined();
    expect(w.pageservers.held(1)[formatTenantShardId(shard.id)]).toMatchObject({ generation: 5 });
  });

  it('abandons an attach that a re-attach superseded once its mark had lapsed', async () => {
    const shard = await shardOn(1, [], (s) => ({ ...heldBy(s, 1), observed: { '1': null } }));
    const put = w.pageservers.putLocationConfig.bind(w.pageservers);
    let reattached: Array<{ id: string; gen: number }> | undefined;
    w.pageservers.putLocationConfig = async (node, id, conf, options) => {
      // A sender slower than the mark's window: the re-attach no longer sees it.
      await updateShard(w.tenants, id, (s) => withoutSending(s));
      reattached ??= await reAttach(w.context, 1);
      return put(node, id, conf, options);
    };
    const outcome = await reconcile(shard.id);
    expect(reattached).toEqual([{ id: formatTenantShardId(shard.id), gen: 6 }]);
    expect(outcome.status).toBe('error');
    // Generation 5 never reached the pageserver: it was abandoned, not sent after 6.
    expect(w.pageservers.abandoned.map((a) => a.conf.generation)).toEqual([5]);
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' })).toEqual([]);
    // A later reconcile attaches in a generation newer than both.
    w.pageservers.putLocationConfig = put;
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(w.pageservers.held(1)[formatTenantShardId(shard.id)]).toMatchObject({ generation: 7 });
  });

  it('attaches nowhere else while a call in the newest generation may still reach another node', async () => {
    // Generation 4 was issued to node 1 and its call is on its way; the intent has moved to 2.
    const shard = await shardOn(2, [], (s) =>
      withSending({ ...s, generationPageserver: 1, observed: { '1': null } }, 1),
    );
    const outcome = await reconcile(shard.id);
    expect(outcome).toMatchObject({ status: 'error', unreachable: true });
    expect(w.pageservers.callsTo({ method: 'putLocationConfig', node: 2 })).toEqual([]);
    expect((await w.tenants.getShard(shard.id))!.generation).toBe(4);
    // Once the call's outcome is recorded (or its mark lapses), the attach goes ahead.
    await updateShard(w.tenants, shard.id, (s) => withoutSending(s));
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(w.pageservers.held(2)[formatTenantShardId(shard.id)]).toMatchObject({ generation: 5 });
  });

  it('does not call an Offline node to attach; the shard stays dirty', async () => {
    const shard = await shardOn(3);
    const node = (await w.nodes.get(3))!;
    await w.nodes.update(3, node.version, { availability: 'Offline' });
    const outcome = await reconcile(shard.id);
    expect(outcome.status).toBe('error');
    expect(w.pageservers.callsTo({ method: 'putLocationConfig', node: 3 })).toEqual([]);
    const after = (await w.tenants.getShard(shard.id))!;
    expect(after.lastError).toMatch(/offline/);
    expect(isDirty(after)).toBe(true);
  });

  it('demotes a failed-over Offline node that may still hold the shard before attaching elsewhere', async () => {
    // Node 3 was failed over while it may still run the shard AttachedSingle (its heartbeats
    // failed, not its tenant API): the failover made it a secondary, its state unknown.
    const shard = await shardOn(2, [3], (s) => ({ ...s, generationPageserver: 3, observed: { '3': null } }));
    const node = (await w.nodes.get(3))!;
    await w.nodes.update(3, node.version, { availability: 'Offline' });
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    const sent = w.pageservers.callsTo({ method: 'putLocationConfig' }).map((c) => [c.node, c.conf?.mode]);
    expect(sent).toEqual([
      [3, 'Secondary'],
      [2, 'AttachedSingle'],
    ]);
  });

  it('attaches elsewhere when the failed-over Offline node does not answer its demotion', async () => {
    const shard = await shardOn(2, [3], (s) => ({ ...s, generationPageserver: 3, observed: { '3': null } }));
    const node = (await w.nodes.get(3))!;
    await w.nodes.update(3, node.version, { availability: 'Offline' });
    w.pageservers.down.add(3);
    const outcome = await reconcile(shard.id);
    // The new generation fences node 3 whatever it still runs; the secondary waits for its return.
    expect(outcome.status).toBe('error');
    expect(w.pageservers.held(2)[formatTenantShardId(shard.id)]).toMatchObject({ mode: 'AttachedSingle' });
    // Tried once, as a demotion: not again as a new secondary on an Offline node.
    expect(w.pageservers.callsTo({ method: 'putLocationConfig', node: 3 })).toHaveLength(1);
  });

  it('is a no-op on a settled shard', async () => {
    const shard = await shardOn(1, [], (s) => heldBy(s, 1));
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(w.pageservers.calls).toEqual([]);
    expect((await w.tenants.getShard(shard.id))?.version).toBe(1);
  });

  it('lets only one reconciler work on a shard at a time', async () => {
    const shard = await shardOn(1);
    const second: ReconcileOutcome[] = [];
    // While the first reconciler is inside its attach call, a second one tries the same shard.
    w.pageservers.intercept(async (call) => {
      if (call.method === 'putLocationConfig' && second.length === 0)
        second.push(await reconcile(shard.id, 'other'));
    });
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(second).toEqual([{ status: 'busy' }]);
    // One attach, one generation: the second reconciler issued nothing.
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' })).toHaveLength(1);
    expect((await w.tenants.getShard(shard.id))?.generation).toBe(5);
    // The lease is released at the end.
    expect(await w.leases.holder(shard.id.tenantId, shardLease(shard.id))).toBeUndefined();
  });

  it('reclaims the tenant from a split whose execution died before it flagged any shard', async () => {
    const shard = await shardOn(1);
    // split-1 holds the tenant (for 16 minutes), but no such execution runs any more.
    expect(await w.leases.acquire(shard.id.tenantId, TENANT_OPERATION_LEASE, 'split-1', 960_000)).toBe(true);
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
    expect(await w.leases.holder(shard.id.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
    // A split that still runs keeps the tenant.
    w.workflows.initialStatus = 'RUNNING';
    await w.workflows.start('shard-split', 'split-2', {});
    expect(await w.leases.acquire(shard.id.tenantId, TENANT_OPERATION_LEASE, 'split-2', 960_000)).toBe(true);
    expect(await reconcile(shard.id)).toEqual({ status: 'busy' });
  });

  it('answers busy, touching nothing, while another reconciler holds the shard lease', async () => {
    const shard = await shardOn(1);
    // Reconciler owners are `<request>/<shard>`: short-lived, never reclaimed, left to expire.
    expect(await w.leases.acquireShard(shard.id, `api-req/${formatTenantShardId(shard.id)}`, 60_000)).toBe(
      true,
    );
    expect(await reconcile(shard.id)).toEqual({ status: 'busy' });
    expect(w.pageservers.calls).toEqual([]);
    expect(await w.tenants.getShard(shard.id)).toEqual(shard);
    // Once the holder's lease expires, reconciling proceeds.
    w.advance(60_001);
    expect(await reconcile(shard.id)).toEqual({ status: 'ok' });
  });

  it('answers busy while a running migration holds the shard', async () => {
    const shard = await shardOn(1);
    w.workflows.initialStatus = 'RUNNING';
    await w.workflows.start('migrate', 'migrate-7', {});
    expect(await w.leases.acquireShard(shard.id, 'migrate-7', 60_000)).toBe(true);
    expect(await reconcile(shard.id)).toEqual({ status: 'busy' });
    expect(w.pageservers.calls).toEqual([]);
  });

  it('stays out while a tenant operation runs, unless it runs on the operation’s behalf', async () => {
    const shard = await shardOn(1);
    w.workflows.initialStatus = 'RUNNING';
    await w.workflows.start('shard-split', 'split-1', {});
    expect(await w.leases.acquire(shard.id.tenantId, TENANT_OPERATION_LEASE, 'split-1', 60_000)).toBe(true);
    expect(await reconcile(shard.id)).toEqual({ status: 'busy' });
    expect(w.pageservers.calls).toEqual([]);
    const outcome = await reconcileShard(
      shard.id,
      { ...reconcileDeps(w.context, 'split-1'), under: 'split-1' },
      Date.now() + 5_000,
    );
    expect(outcome).toEqual({ status: 'ok' });
  });
});
