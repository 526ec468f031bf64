// Timeline create and delete over every shard, on in-memory ports: create goes to shard zero
// first and the others branch where it did; delete does shard zero last; pageserver errors keep
// their meaning for the caller.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, UnavailableError } from '../../lambdas/core/errors';
import { reconcileInline } from '../../lambdas/reconciler/reconcile-many';
import { reconcileDeps } from '../../lambdas/reconciler/reconcile-shard';
import { createTimeline, deleteTimeline } from '../../lambdas/timelines/timelines';
import { addNodes, type MemoryWorld, memoryWorld, refusal, seedTenant } from '../support/memory';

const TL = 'de200bd42b49cc1814412c7e592dd6e9';
const PARENT = '0123456789abcdef0123456789abcdef';
let w: MemoryWorld;
let t: string;

beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2]);
  const { tenant, shards } = await seedTenant(w.tenants, { count: 4, attached: [1, 2, 1, 2] });
  t = tenant.tenantId;
  await reconcileInline(
    shards.map((s) => s.id),
    reconcileDeps(w.context, 'setup'),
    Date.now() + 5_000,
  );
  w.pageservers.calls.length = 0;
});

const timelineCalls = (method: 'createTimeline' | 'deleteTimeline') =>
  w.pageservers.callsTo({ method }).map((c) => c.shard);

describe('createTimeline', () => {
  it('creates on shard zero first, then on every other shard at the branch point zero chose', async () => {
    const made = await createTimeline(
      w.context,
      t,
      { new_timeline_id: TL, ancestor_timeline_id: PARENT },
      'req-1',
    );
    expect(made).toMatchObject({ timeline_id: TL, ancestor_lsn: '0/1000' });
    const calls = w.pageservers.callsTo({ method: 'createTimeline' });
    expect(calls[0]?.shard).toBe(`${t}-0004`);
    expect(calls.map((c) => c.shard).sort()).toEqual([`${t}-0004`, `${t}-0104`, `${t}-0204`, `${t}-0304`]);
    for (const call of calls.slice(1)) expect(call.args[0]).toMatchObject({ ancestor_start_lsn: '0/1000' });
  });

  it('answers 409 when the pageserver says the timeline exists', async () => {
    w.pageservers.failNext({ method: 'createTimeline' }, refusal(409, 'already exists'));
    await expect(createTimeline(w.context, t, { new_timeline_id: TL }, 'req-2')).rejects.toBeInstanceOf(
      ConflictError,
    );
    // Shard zero refused: no other shard was asked.
    expect(timelineCalls('createTimeline')).toHaveLength(1);
  });

  it('answers 503 when a shard’s pageserver does not answer', async () => {
    w.pageservers.down.add(2);
    const error = await createTimeline(w.context, t, { new_timeline_id: TL }, 'req-3').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnavailableError);
  });

  it('refuses at once while the tenant is splitting', async () => {
    const { shards } = (await w.tenants.getTenantWithShards(t))!;
    await w.tenants.saveShards([{ before: shards[0]!, after: { ...shards[0]!, splitting: true } }]);
    await expect(createTimeline(w.context, t, { new_timeline_id: TL }, 'req-4')).rejects.toBeInstanceOf(
      UnavailableError,
    );
    expect(w.pageservers.calls).toEqual([]);
  });
});

describe('deleteTimeline', () => {
  it('deletes on every other shard before shard zero', async () => {
    await createTimeline(w.context, t, { new_timeline_id: TL }, 'req-5');
    expect(await deleteTimeline(w.context, t, TL)).toBe('done');
    expect(await w.context.leases.holder(t, 'OPERATION')).toBeUndefined();
    const calls = timelineCalls('deleteTimeline');
    expect(calls.at(-1)).toBe(`${t}-0004`);
    expect(calls.sort()).toEqual([`${t}-0004`, `${t}-0104`, `${t}-0204`, `${t}-0304`]);
  });

  it('reports progress, not failure, while a pageserver is still deleting, and leaves shard zero alone', async () => {
    await createTimeline(w.context, t, { new_timeline_id: TL }, 'req-7');
    w.pageservers.failNext({ method: 'deleteTimeline', shard: `${t}-0104` }, refusal(409, 'deleting'));
    expect(await deleteTimeline(w.context, t, TL)).toBe('in-progress');
    expect(timelineCalls('deleteTimeline')).not.toContain(`${t}-0004`);
    // The tenant stays the deletion's while a pageserver still deletes: nothing may move it (a
    // migration would issue a newer generation under the deleting node), and the retry takes
    // the lease back as its own.
    expect((await w.context.leases.holder(t, 'OPERATION'))?.owner).toBe(`delete-timeline-${t}-${TL}`);
    expect(await deleteTimeline(w.context, t, TL)).toBe('done');
    expect(await w.context.leases.holder(t, 'OPERATION')).toBeUndefined();
  });
});
