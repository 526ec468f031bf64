// Tenant create on in-memory ports: every shard is scheduled before anything is written, so a
// scheduling failure persists nothing; an existing tenant is a 409; the API's create places the
// shards and reports the generation each one runs in.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, PageserverError } from '../../lambdas/core/errors';
import { formatTenantShardId, parseTenantShardId } from '../../lambdas/core/ids';
import { TENANT_OPERATION_LEASE } from '../../lambdas/core/leases';
import { withoutSending } from '../../lambdas/core/model/sending';
import { countsFromIntents } from '../../lambdas/core/scheduler';
import { reAttach } from '../../lambdas/nodes/re-attach';
import { reconcileDeps, reconcileShard } from '../../lambdas/reconciler/reconcile-shard';
import { updateShard } from '../../lambdas/reconciler/shard-update';
import {
  type CreateTenantRequest,
  createAndPlaceTenant,
  createTenant,
} from '../../lambdas/tenants/create-tenant';
import { addNodes, type MemoryWorld, memoryWorld, newTenantId } from '../support/memory';

let w: MemoryWorld;
beforeEach(() => {
  w = memoryWorld();
});

function request(fields: Partial<CreateTenantRequest> = {}): CreateTenantRequest {
  return {
    tenantId: newTenantId(),
    generation: 1,
    shardCount: 4,
    stripeSize: 8192,
    policy: { kind: 'Attached', secondaries: 0 },
    config: {},
    ...fields,
  };
}

async function loads() {
  return (await w.nodes.list()).map((n) => [n.id, n.attachedCount, n.secondaryCount]);
}

describe('createTenant', () => {
  it('spreads the shards over the nodes and stores tenant, shards and node counters together', async () => {
    await addNodes(w.nodes, [1, 2]);
    const req = request({ policy: { kind: 'Attached', secondaries: 1 } });
    const created = await createTenant(w.context, req);
    expect(created.map((s) => s.version)).toEqual([1, 1, 1, 1]);
    const stored = (await w.tenants.getTenantWithShards(req.tenantId))!;
    expect(stored.tenant).toMatchObject({ tenantId: req.tenantId, shardCount: 4, version: 1 });
    expect(stored.shards).toEqual(created);
    // Each shard attached on one node with a secondary on the other.
    for (const shard of stored.shards) {
      expect(shard.intent.secondary).toHaveLength(1);
      expect(shard.intent.secondary[0]).not.toBe(shard.intent.attached);
      expect(shard.generation).toBe(1);
    }
    // The node counters say what the intents say, and the load (attached + secondary) is even.
    const counts = countsFromIntents(stored.shards.map((s) => s.intent));
    expect(await loads()).toEqual(
      [1, 2].map((n) => [n, counts.get(n)?.attached ?? 0, counts.get(n)?.secondary ?? 0]),
    );
    expect((await loads()).map(([, a, s]) => a! + s!)).toEqual([4, 4]);
    expect((await w.tenants.nodeMemberships(1)).length).toBe(4);
  });

  it('persists nothing when a shard cannot be scheduled', async () => {
    await addNodes(w.nodes, [1, 2]);
    let scheduleErrors = 0;
    // Two secondaries plus an attachment need three nodes.
    const req = request({ policy: { kind: 'Attached', secondaries: 2 } });
    const error = await createTenant(w.context, req, () => {
      scheduleErrors += 1;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/Scheduling error/);
    expect(scheduleErrors).toBe(1);
    expect(await w.tenants.getTenant(req.tenantId)).toBeUndefined();
    expect(w.tenants.writes).toEqual([]);
    expect(await loads()).toEqual([
      [1, 0, 0],
      [2, 0, 0],
    ]);
    expect(await w.tenants.nodeMemberships(1)).toEqual([]);
  });

  it('persists nothing when there is no node at all', async () => {
    const req = request();
    await expect(createTenant(w.context, req)).rejects.toThrow(ConflictError);
    expect(await w.tenants.getTenant(req.tenantId)).toBeUndefined();
  });

  it('answers 409 for a tenant that exists, and leaves it as it was', async () => {
    await addNodes(w.nodes, [1, 2]);
    const req = request();
    await createTenant(w.context, req);
    const before = await w.tenants.getTenantWithShards(req.tenantId);
    const again = await createTenant(w.context, { ...req, shardCount: 2, generation: 7 }).catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(ConflictError);
    expect((again as ConflictError).status).toBe(409);
    expect(await w.tenants.getTenantWithShards(req.tenantId)).toEqual(before);
    expect(await loads()).toEqual([
      [1, 2, 0],
      [2, 2, 0],
    ]);
  });

  it('lets exactly one of two concurrent creates of the same tenant win; the other gets 409', async () => {
    await addNodes(w.nodes, [1, 2]);
    const req = request({ shardCount: 2 });
    const results = await Promise.allSettled([createTenant(w.context, req), createTenant(w.context, req)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    // Counted once: the loser's write left no trace.
    expect(await loads()).toEqual([
      [1, 1, 0],
      [2, 1, 0],
    ]);
  });

  it('persists nothing when a chosen node vanishes before the write', async () => {
    await addNodes(w.nodes, [1, 2]);
    const list = w.nodes.list.bind(w.nodes);
    // The node is dropped between scheduling (which listed it) and the write.
    w.nodes.list = async () => {
      const nodes = await list();
      await w.nodes.delete(2);
      return nodes;
    };
    const req = request({ shardCount: 2 });
    await expect(createTenant(w.context, req)).rejects.toThrow();
    expect(await w.tenants.getTenant(req.tenantId)).toBeUndefined();
    expect(await w.tenants.nodeMemberships(1)).toEqual([]);
    expect((await w.nodes.get(1))?.attachedCount).toBe(0);
  });
});

describe('createAndPlaceTenant', () => {
  it('attaches every shard and answers with the generation each runs in', async () => {
    await addNodes(w.nodes, [1, 2]);
    const req = request({ generation: 3, shardCount: 2 });
    const { shards, failure } = await createAndPlaceTenant(w.context, req, 'create-1');
    expect(failure).toBeNull();
    // The first attach issues generation + 1, persisted before the pageserver saw it.
    expect(shards.map((s) => [formatTenantShardId(s.id), s.generation, s.intent.attached])).toEqual([
      [`${req.tenantId}-0002`, 4, 1],
      [`${req.tenantId}-0102`, 4, 2],
    ]);
    expect(w.pageservers.held(1)[`${req.tenantId}-0002`]).toMatchObject({
      mode: 'AttachedSingle',
      generation: 4,
    });
    expect(w.pageservers.held(2)[`${req.tenantId}-0102`]).toMatchObject({
      mode: 'AttachedSingle',
      generation: 4,
    });
    // Placed: the control plane heard of both shards, and nothing is left to reconcile.
    expect(w.computeHook.delivered.at(-1)?.shards).toEqual([
      { node_id: 1, shard_number: 0 },
      { node_id: 2, shard_number: 1 },
    ]);
    expect(w.tenants.dirtyIds()).toEqual([]);
  });

  it('still creates the tenant when a pageserver fails; the shard is left dirty for reconcile-all', async () => {
    await addNodes(w.nodes, [1]);
    w.pageservers.down.add(1);
    const req = request({ shardCount: 0 });
    const {
      shards: [shard],
      failure,
    } = await createAndPlaceTenant(w.context, req, 'create-2');
    expect(shard?.lastError).toMatch(/node 1/);
    // Not reached within the budget: the reference's 408, naming the shard.
    expect(failure).toMatchObject({ status: 408, message: expect.stringContaining(`shard ${req.tenantId}`) });
    expect(w.tenants.dirtyIds()).toEqual([req.tenantId]);
    expect(w.computeHook.attempts).toEqual([]);
  });

  it('answers a pageserver that refuses the attach as a reconcile error (500)', async () => {
    await addNodes(w.nodes, [1]);
    // Refused twice: the create's own attempt and the reconcile it falls back to.
    w.pageservers.failNext(
      { method: 'putLocationConfig' },
      new PageserverError('400 refused', 400, false),
      2,
    );
    const req = request({ shardCount: 0 });
    const { failure } = await createAndPlaceTenant(w.context, req, 'create-3');
    expect(failure).toMatchObject({ status: 500 });
    expect(failure?.message).toMatch(new RegExp(`^Reconcile error on shard ${req.tenantId}: .*400 refused`));
    expect(await w.tenants.getTenant(req.tenantId)).toBeDefined();
  });

  it('persists each shard’s generation, issued to its node, before any pageserver sees it', async () => {
    await addNodes(w.nodes, [1, 2]);
    const req = request({ generation: 5, shardCount: 4, policy: { kind: 'Attached', secondaries: 1 } });
    const seen: string[] = [];
    w.pageservers.intercept(async (call) => {
      if (call.method !== 'putLocationConfig' || call.conf?.generation == null) return;
      const stored = await w.tenants.getShards([parseTenantShardId(call.shard!)]);
      expect(stored[0]).toMatchObject({ generation: call.conf.generation, generationPageserver: call.node });
      seen.push(call.shard!);
    });
    const { shards, failure } = await createAndPlaceTenant(w.context, req, 'create-3');
    expect(failure).toBeNull();
    expect(seen).toHaveLength(4);
    expect(shards.every((s) => s.generation === 6 && !s.pendingComputeNotification)).toBe(true);
    // Secondaries placed too; nothing left to reconcile, nothing owed, the lease given up.
    expect(w.tenants.dirtyIds()).toEqual([]);
    expect(await w.leases.holder(req.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
    const stored = (await w.tenants.getTenantWithShards(req.tenantId))!;
    expect(stored.shards).toEqual(shards);
    expect(stored.tenant.lastComputeNotification).not.toBeNull();
  });

  it('keeps every other reconcile off the new shards until they are placed', async () => {
    await addNodes(w.nodes, [1]);
    const req = request({ shardCount: 0 });
    const outcomes: string[] = [];
    w.pageservers.intercept(async (call) => {
      if (call.method !== 'putLocationConfig') return;
      // Reconcile-all finds the new shard dirty meanwhile: it must not act on it.
      const id = parseTenantShardId(call.shard!);
      outcomes.push(
        (await reconcileShard(id, reconcileDeps(w.context, 'reconcile-all'), Date.now() + 1_000)).status,
      );
    });
    await createAndPlaceTenant(w.context, req, 'create-4');
    expect(outcomes).toEqual(['busy']);
    expect(w.pageservers.callsTo({ method: 'putLocationConfig' })).toHaveLength(1);
  });

  it('leaves its attach to land when the node re-attaches between the create and the send', async () => {
    await addNodes(w.nodes, [1]);
    const req = request({ generation: 1, shardCount: 0 });
    const getShards = w.tenants.getShards.bind(w.tenants);
    let reattached: Promise<Array<{ id: string; gen: number }>> | undefined;
    // The node restarts right after the create's write, before the send guard's read (the
    // re-attach's own reads go through untouched).
    w.tenants.getShards = async (ids) => {
      if (!reattached) {
        reattached = reAttach(w.context, 1);
        await reattached;
      }
      return getShards(ids);
    };
    const {
      shards: [shard],
      failure,
    } = await createAndPlaceTenant(w.context, req, 'create-5');
    // The attach was on its way from the create's write: the re-attach left the shard to it
    // rather than issue generation 3, which the send would have undone.
    expect(await reattached).toEqual([]);
    expect(failure).toBeNull();
    const sent = w.pageservers.callsTo({ method: 'putLocationConfig' }).map((c) => c.conf?.generation);
    expect(sent).toEqual([2]);
    expect(shard).toMatchObject({ generation: 2 });
    expect(shard!.sending).toBeUndefined();
    expect(w.pageservers.held(1)[formatTenantShardId(shard!.id)]).toMatchObject({ generation: 2 });
    expect(await w.leases.holder(req.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
  });

  it('never sends a generation a re-attach superseded once the mark of its attach had lapsed', async () => {
    await addNodes(w.nodes, [1]);
    const req = request({ generation: 1, shardCount: 0 });
    const getShards = w.tenants.getShards.bind(w.tenants);
    let reAttached = false;
    w.tenants.getShards = async (ids) => {
      if (!reAttached) {
        reAttached = true;
        for (const id of ids) await updateShard(w.tenants, id, (s) => withoutSending(s));
        await reAttach(w.context, 1);
      }
      return getShards(ids);
    };
    const {
      shards: [shard],
    } = await createAndPlaceTenant(w.context, req, 'create-5');
    // Generation 2 was issued at create, 3 by the re-attach; the reconcile then issued 4.
    const sent = w.pageservers.callsTo({ method: 'putLocationConfig' }).map((c) => c.conf?.generation);
    expect(sent).not.toContain(2);
    expect(shard).toMatchObject({ generation: 4 });
    expect(w.pageservers.held(1)[formatTenantShardId(shard!.id)]).toMatchObject({ generation: 4 });
    expect(await w.leases.holder(req.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
  });

  it('leaves the shards owing the control plane when the compute hook fails, and remembers nothing as delivered', async () => {
    await addNodes(w.nodes, [1]);
    w.computeHook.fail(10);
    const req = request({ shardCount: 0 });
    const {
      shards: [shard],
      failure,
    } = await createAndPlaceTenant(w.context, req, 'create-6');
    expect(failure).toBeNull();
    expect(shard).toMatchObject({ pendingComputeNotification: true, generation: 2 });
    expect((await w.tenants.getTenant(req.tenantId))?.lastComputeNotification).toBeNull();
    expect(w.tenants.dirtyIds()).toEqual([formatTenantShardId(shard!.id)]);
    expect(await w.leases.holder(req.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
  });

  it('gives the lease up when a pageserver fails and the shard is left to reconcile-all', async () => {
    await addNodes(w.nodes, [1]);
    w.pageservers.down.add(1);
    const req = request({ shardCount: 0 });
    await createAndPlaceTenant(w.context, req, 'create-7');
    expect(await w.leases.holder(req.tenantId, TENANT_OPERATION_LEASE)).toBeUndefined();
    // The pageserver back, reconcile-all (another owner) places it.
    w.pageservers.down.delete(1);
    const [id] = (await w.tenants.getTenantWithShards(req.tenantId))!.shards.map((s) => s.id);
    expect(
      (await reconcileShard(id!, reconcileDeps(w.context, 'reconcile-all'), Date.now() + 5_000)).status,
    ).toBe('ok');
  });
});
