// Live migration's steps on in-memory ports, in the workflow's order: the origin stops acting
// alone before the destination gets a newer generation (persisted first); compute is told only
// once the destination has caught up; the origin is demoted only after that. Abort leaves exactly
// one attached location, in the newest generation.
import { beforeEach, describe, expect, it } from 'vitest';
import { formatTenantShardId, type TenantShardId } from '../../../lambdas/core/ids';
import { shardLease, TENANT_OPERATION_LEASE } from '../../../lambdas/core/leases';
import { withoutSending, withSending } from '../../../lambdas/core/model/sending';
import type { TenantShard } from '../../../lambdas/core/model/tenant-shard';
import {
  CatchUpTimeoutError,
  LeaseBusyError,
  PreconditionFailedError,
  RejectedError,
  TransientError,
} from '../../../lambdas/core/workflow-errors';
import { consistencyCheck } from '../../../lambdas/debug/consistency-check';
import { reAttach } from '../../../lambdas/nodes/re-attach';
import { reconcileDeps, reconcileShard } from '../../../lambdas/reconciler/reconcile-shard';
import { updateShard } from '../../../lambdas/reconciler/shard-update';
import { abortMigration } from '../../../lambdas/workflows/migrate/abort';
import {
  attachDestination,
  beginMigration,
  checkCatchUp,
  checkWarm,
  finishMigration,
  type MigrationInput,
  type MigrationState,
  notifyMigration,
  prepareSecondary,
  releaseMigration,
  staleOrigin,
} from '../../../lambdas/workflows/migrate/steps';
import { addNodes, type MemoryWorld, memoryWorld, refusal, seedTenant } from '../../support/memory';

let w: MemoryWorld;
let id: TenantShardId;
let tsid: string;
const events: string[] = [];

async function setup(secondaries = 0) {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2, 3]);
  const { shards } = await seedTenant(w.tenants, {
    attached: [1],
    secondary: [secondaries > 0 ? [3] : []],
    policy: { kind: 'Attached', secondaries },
  });
  id = shards[0]!.id;
  tsid = formatTenantShardId(id);
  // Placed for real (generation 2 on node 1) before the migration starts.
  expect(await reconcileShard(id, reconcileDeps(w.context, 'setup'), Date.now() + 5_000)).toEqual({
    status: 'ok',
  });
  w.pageservers.timelines.set(`1/${tsid}`, [
    { tenant_id: id.tenantId, timeline_id: 'tl1', ancestor_lsn: null, last_record_lsn: '0/2000' },
  ]);
  events.length = 0;
  w.pageservers.intercept(async (call) => {
    if (call.method !== 'putLocationConfig') return;
    const stored = await w.tenants.getShard(id);
    events.push(
      `${call.conf?.mode}@${call.node} gen ${call.conf?.generation} (table: gen ${stored?.generation} to ${stored?.generationPageserver})`,
    );
  });
  w.computeHook.onNotify = (n) => {
    events.push(`notify ${n.shards.map((s) => s.node_id).join(',')}`);
  };
}

const input = (node = 2, execution = 'migrate-1'): MigrationInput => ({
  shard: tsid,
  node_id: node,
  execution,
});
const shard = async (): Promise<TenantShard> => (await w.tenants.getShard(id))!;

/** The workflow's happy path, step by step; the destination catches up at once. */
async function migrate(node = 2): Promise<MigrationState> {
  const state = await beginMigration(w.context, input(node));
  const { baseline } = await staleOrigin(w.context, state);
  await attachDestination(w.context, state);
  w.pageservers.timelines.set(`${node}/${tsid}`, [
    { tenant_id: id.tenantId, timeline_id: 'tl1', ancestor_lsn: null, last_record_lsn: '0/2000' },
  ]);
  expect(await checkCatchUp(w.context, { ...state, baseline, deadline: Date.now() + 60_000 })).toEqual({
    caught_up: true,
  });
  await notifyMigration(w.context, state);
  await finishMigration(w.context, state);
  await releaseMigration(w.context, state);
  return state;
}

describe('live migration steps', () => {
  beforeEach(() => setup());

  it('moves the attachment in the safe order, each generation persisted before it is used', async () => {
    const state = await migrate();
    expect(state).toMatchObject({ origin: 1, noop: false });
    expect(events).toEqual([
      // The origin keeps its generation but stops acting alone, before a newer one exists.
      'AttachedStale@1 gen 2 (table: gen 2 to 1)',
      // The newer generation was in the table, issued to node 2, before node 2 heard of it.
      'AttachedMulti@2 gen 3 (table: gen 3 to 2)',
      'notify 2',
      // Only after compute moved is the origin demoted and dropped.
      'Secondary@1 gen null (table: gen 3 to 2)',
      'AttachedSingle@2 gen 3 (table: gen 3 to 2)',
      'Detached@1 gen null (table: gen 3 to 2)',
    ]);
    const after = await shard();
    expect(after).toMatchObject({
      generation: 3,
      generationPageserver: 2,
      intent: { attached: 2, secondary: [] },
    });
    expect(Object.keys(after.observed)).toEqual(['2']);
    expect(w.pageservers.held(1)).toEqual({});
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'AttachedSingle', generation: 3 });
    expect(await w.leases.holder(id.tenantId, shardLease(id))).toBeUndefined();
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('leaves its cut-over to land when the destination re-attaches meanwhile: no newer generation to undo', async () => {
    let reattached: Array<{ id: string; gen: number }> | undefined;
    w.pageservers.intercept(async (call) => {
      if (call.method === 'putLocationConfig' && call.node === 2 && call.conf?.mode === 'AttachedSingle')
        reattached ??= await reAttach(w.context, 2);
    });
    await migrate();
    // The cut-over (AttachedSingle in generation 3) was on its way: not handed back in a
    // generation 4 that it would then have undone.
    expect(reattached).toEqual([]);
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'AttachedSingle', generation: 3 });
    const after = await shard();
    expect(after).toMatchObject({ generation: 3, generationPageserver: 2 });
    expect(after.sending).toBeUndefined();
    expect(after.observed['2']).toMatchObject({ mode: 'AttachedSingle', generation: 3 });
  });

  it('holds the shard lease throughout: no reconcile runs meanwhile, and a busy shard is refused', async () => {
    // The execution is running (a reconciler may reclaim leases of executions that are gone).
    w.workflows.initialStatus = 'RUNNING';
    await w.workflows.start('migrate', 'migrate-1', {});
    const state = await beginMigration(w.context, input());
    expect(await reconcileShard(id, reconcileDeps(w.context, 'reconcile-all'), Date.now() + 5_000)).toEqual({
      status: 'busy',
    });
    // A second migration of the same shard is refused while this one runs.
    await expect(beginMigration(w.context, input(3, 'migrate-2'))).rejects.toBeInstanceOf(LeaseBusyError);
    // The same execution re-running its first step is not.
    expect(await beginMigration(w.context, input())).toEqual(state);
  });

  it('a reconciler reclaims the shard from a migration whose execution no longer runs', async () => {
    // migrate-1 holds the lease, but no such execution is running (it died).
    await beginMigration(w.context, input());
    expect(await reconcileShard(id, reconcileDeps(w.context, 'reconcile-all'), Date.now() + 5_000)).toEqual({
      status: 'ok',
    });
    // The intent the migration had set is carried out, in a newer generation.
    const after = await shard();
    expect(after).toMatchObject({ intent: { attached: 2 }, generationPageserver: 2, generation: 3 });
    expect(Object.keys(after.observed)).toEqual(['2']);
  });

  it('is refused while a tenant operation (a split) holds the tenant', async () => {
    await w.leases.acquire(id.tenantId, TENANT_OPERATION_LEASE, 'split-1', 60_000);
    await expect(beginMigration(w.context, input())).rejects.toBeInstanceOf(LeaseBusyError);
    expect((await shard()).intent.attached).toBe(1);
  });

  it('rejects an unknown destination without changing the shard', async () => {
    await expect(beginMigration(w.context, input(9))).rejects.toBeInstanceOf(RejectedError);
    expect((await shard()).intent.attached).toBe(1);
  });

  it('issues one generation however often the attach step is retried', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    await attachDestination(w.context, state);
    expect((await shard()).generation).toBe(3);
    expect(w.pageservers.callsTo({ node: 2, mode: 'AttachedMulti' })).toHaveLength(1);
  });

  it('sends the same generation again when an attach whose call may still land is retried', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    // The pageserver took the call but its answer was lost: the step fails and is retried.
    w.pageservers.failNext({ method: 'putLocationConfig', node: 2, mode: 'AttachedMulti' });
    await expect(attachDestination(w.context, state)).rejects.toThrow();
    await attachDestination(w.context, state);
    expect(w.pageservers.callsTo({ node: 2, mode: 'AttachedMulti' }).map((c) => c.conf?.generation)).toEqual([
      3, 3,
    ]);
    expect((await shard()).generation).toBe(3);
  });

  it('aborts to the destination while its failed attach may still land there', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    w.pageservers.failNext({ method: 'putLocationConfig', node: 2, mode: 'AttachedMulti' });
    await expect(attachDestination(w.context, state)).rejects.toThrow();
    // The origin is alive, but a newer generation there could be undone by the late call.
    expect(await abortMigration(w.context, state)).toEqual({ attached: 2 });
    const after = await shard();
    expect(after).toMatchObject({ generation: 3, generationPageserver: 2, intent: { attached: 2 } });
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'AttachedSingle', generation: 3 });
  });

  it('demotes another sole holder than the origin before attaching the destination', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    // Node 3 holds the shard AttachedSingle too (a placement changed under a node-wide event).
    const now = await shard();
    const conf = { ...now.observed['1']!, mode: 'AttachedSingle' as const, generation: 1 };
    await updateShard(w.tenants, id, (s) => ({ ...s, observed: { ...s.observed, '3': conf } }));
    await attachDestination(w.context, state);
    const stale = w.pageservers.callsTo({ node: 3, method: 'putLocationConfig' });
    expect(stale.map((c) => [c.conf?.mode, c.conf?.generation])).toEqual([['AttachedStale', 1]]);
    const order = w.pageservers.calls.filter((c) => c.method === 'putLocationConfig').map((c) => c.node);
    expect(order.indexOf(3)).toBeLessThan(order.lastIndexOf(2));
    expect((await shard()).observed['3']).toMatchObject({ mode: 'AttachedStale', generation: 1 });
  });

  it('waits for the destination to catch up, and gives up at the deadline', async () => {
    const state = await beginMigration(w.context, input());
    const { baseline } = await staleOrigin(w.context, state);
    expect(baseline).toEqual({ tl1: '0/2000' });
    await attachDestination(w.context, state);
    w.pageservers.timelines.set(`2/${tsid}`, [
      { tenant_id: id.tenantId, timeline_id: 'tl1', ancestor_lsn: null, last_record_lsn: '0/1000' },
    ]);
    const caughtUp = (deadline: number) => checkCatchUp(w.context, { ...state, baseline, deadline });
    expect(await caughtUp(Date.now() + 60_000)).toEqual({ caught_up: false });
    await expect(caughtUp(Date.now() - 1)).rejects.toBeInstanceOf(CatchUpTimeoutError);
    // Compute was not told while the destination lagged.
    expect(w.computeHook.attempts.filter((n) => n.shards[0]?.node_id === 2)).toEqual([]);
  });

  it('abort leaves one attached location, in a generation newer than any issued before', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    const issued = (await shard()).generation;
    expect(await abortMigration(w.context, state)).toEqual({ attached: 1 });

    const after = await shard();
    expect(after.intent.attached).toBe(1);
    expect(after.generation).toBeGreaterThan(issued);
    expect(after.observed).toEqual({
      '1': expect.objectContaining({ mode: 'AttachedSingle', generation: after.generation }),
    });
    expect(w.pageservers.held(2)).toEqual({});
    expect(w.pageservers.held(1)[tsid]).toMatchObject({
      mode: 'AttachedSingle',
      generation: after.generation,
    });
    expect(await w.leases.holder(id.tenantId, shardLease(id))).toBeUndefined();
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('abort past the cut-over keeps the destination in its generation, issuing none', async () => {
    const state = await beginMigration(w.context, input());
    const { baseline } = await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    w.pageservers.timelines.set(`2/${tsid}`, [
      { tenant_id: id.tenantId, timeline_id: 'tl1', ancestor_lsn: null, last_record_lsn: '0/2000' },
    ]);
    await checkCatchUp(w.context, { ...state, baseline, deadline: Date.now() + 60_000 });
    await notifyMigration(w.context, state);
    // The cut-over is done, then the origin refuses to be detached: the step fails, and aborts.
    w.pageservers.failNext({ method: 'putLocationConfig', node: 1, mode: 'Detached' }, refusal(500));
    await expect(finishMigration(w.context, state)).rejects.toThrow();
    const issued = (await shard()).generation;
    expect(await abortMigration(w.context, state)).toEqual({ attached: 2 });
    const after = await shard();
    expect(after).toMatchObject({ generation: issued, generationPageserver: 2, intent: { attached: 2 } });
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'AttachedSingle', generation: issued });
    expect(w.pageservers.held(1)).toEqual({});
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('issues no newer generation while a call in the newest may still reach another node', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    // A call in generation 2 is on its way to node 1 (a sender that outlived its task, say).
    await updateShard(w.tenants, id, (s) => withSending(s, 1));
    await expect(attachDestination(w.context, state)).rejects.toBeInstanceOf(TransientError);
    expect((await shard()).generation).toBe(2);
    expect(w.pageservers.callsTo({ method: 'putLocationConfig', node: 2 })).toEqual([]);
    // Once its outcome is recorded, the destination gets generation 3.
    await updateShard(w.tenants, id, (s) => withoutSending(s));
    await attachDestination(w.context, state);
    expect((await shard()).generation).toBe(3);
  });

  it('gives up when a failover places the shard elsewhere meanwhile, and its abort keeps that placement', async () => {
    const state = await beginMigration(w.context, input());
    const { baseline } = await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    // Node 2 fails over while the destination catches up: the shard is placed on node 3, no lease.
    await updateShard(w.tenants, id, (s) => ({ ...s, intent: { attached: 3, secondary: [] } }));
    await expect(
      checkCatchUp(w.context, { ...state, baseline, deadline: Date.now() + 60_000 }),
    ).rejects.toBeInstanceOf(RejectedError);
    await expect(finishMigration(w.context, state)).rejects.toBeInstanceOf(RejectedError);
    expect(await abortMigration(w.context, state)).toEqual({ attached: 3 });
    const after = await shard();
    expect(after.intent.attached).toBe(3);
    expect(w.pageservers.held(3)[tsid]).toMatchObject({
      mode: 'AttachedSingle',
      generation: after.generation,
    });
    expect(Object.keys(after.observed)).toEqual(['3']);
    expect(await w.leases.holder(id.tenantId, shardLease(id))).toBeUndefined();
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('abort keeps the attachment on the destination when the origin is Offline', async () => {
    const state = await beginMigration(w.context, input());
    await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    const origin = (await w.nodes.get(1))!;
    await w.nodes.update(1, origin.version, { availability: 'Offline' });
    w.pageservers.down.add(1);
    const issued = (await shard()).generation;
    // The dead origin cannot be detached, which the abort reports (Transient) after settling
    // everything it can; either way the result must be the same.
    await abortMigration(w.context, state).catch((error: Error) => expect(error.name).toBe('Transient'));
    const after = await shard();
    expect(after.intent.attached).toBe(2);
    expect(after.generation).toBeGreaterThan(issued);
    expect(after.observed['2']).toMatchObject({ mode: 'AttachedSingle', generation: after.generation });
    // What node 1 holds stays unknown, for a reconcile to detach when it is back.
    expect(after.observed['1']).toBeNull();
    expect(await w.leases.holder(id.tenantId, shardLease(id))).toBeUndefined();
  });
});

describe('live migration with a secondary policy', () => {
  beforeEach(() => setup(1));

  it('keeps the origin as a warm secondary', async () => {
    await migrate(2);
    const after = await shard();
    expect(after.intent).toEqual({ attached: 2, secondary: [1] });
    expect(after.observed['1']).toMatchObject({ mode: 'Secondary' });
    expect(w.pageservers.held(1)[tsid]).toMatchObject({ mode: 'Secondary' });
    expect(await consistencyCheck(w.context)).toEqual([]);
  });
});

describe('prewarm and origin_node_id', () => {
  const input = (): MigrationInput => ({ shard: tsid, node_id: 2, execution: 'migrate-x' });

  it('refuses under the lease an origin the shard is not on, and gives the lease back', async () => {
    await setup();
    await expect(
      beginMigration(w.context, { ...input(), request: { origin_node_id: 3 } }),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await w.leases.holder(id.tenantId, shardLease(id))).toBeUndefined();
    expect((await w.tenants.getShard(id))?.intent.attached).toBe(1);
  });

  it('makes the destination a Secondary, polls its download until warm, and then skips the cold download', async () => {
    await setup();
    const state = await beginMigration(w.context, {
      ...input(),
      request: {
        origin_node_id: 1,
        migration: { prewarm: true, override_scheduler: false, warmup_ms: 60_000, download_ms: 1_000 },
      },
    });
    expect(state).toMatchObject({ origin: 1, prewarm: true, warmup_ms: 60_000, download_ms: 1_000 });
    const { warm_deadline } = await prepareSecondary(w.context, { ...state, warmup_ms: 60_000 });
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'Secondary' });
    // Still attached alone at the origin while warming.
    expect(w.pageservers.held(1)[tsid]).toMatchObject({ mode: 'AttachedSingle' });
    const polling = { ...state, warm_deadline, download_ms: 1_000 };
    w.pageservers.failNext({ method: 'secondaryDownload', node: 2 });
    expect(await checkWarm(w.context, polling)).toEqual({ warm: false, timed_out: false });
    expect(await checkWarm(w.context, polling)).toEqual({ warm: true, timed_out: false });
    // Past the warm-up deadline the cut-over goes ahead, warm or not, without another request.
    const calls = w.pageservers.callsTo({ method: 'secondaryDownload' }).length;
    expect(await checkWarm(w.context, { ...polling, warm_deadline: Date.now() - 1 })).toEqual({
      warm: true,
      timed_out: true,
    });
    await staleOrigin(w.context, state);
    await attachDestination(w.context, state);
    expect(w.pageservers.callsTo({ method: 'secondaryDownload' })).toHaveLength(calls);
    expect(w.pageservers.held(2)[tsid]).toMatchObject({ mode: 'AttachedMulti' });
  });
});
