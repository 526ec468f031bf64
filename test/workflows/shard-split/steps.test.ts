// The shard split's steps on in-memory ports, each run as the workflow would (and run twice, as a
// retried task is): begin is idempotent, the pageserver split tolerates a lost answer, commit
// leaves only the children, and abort gives back the tenant as it was with nothing orphaned.
import { beforeEach, describe, expect, it } from 'vitest';
import { formatTenantShardId } from '../../../lambdas/core/ids';
import { TENANT_OPERATION_LEASE } from '../../../lambdas/core/leases';
import { PageserverRefusedError, RejectedError, TransientError } from '../../../lambdas/core/workflow-errors';
import { consistencyCheck } from '../../../lambdas/debug/consistency-check';
import { reconcileInline } from '../../../lambdas/reconciler/reconcile-many';
import { reconcileDeps } from '../../../lambdas/reconciler/reconcile-shard';
import {
  abortSplit,
  type BeginSplitInput,
  beginSplit,
  commitSplit,
  splitParent,
} from '../../../lambdas/workflows/shard-split/steps';
import { addNodes, type MemoryWorld, memoryWorld, refusal, seedTenant } from '../../support/memory';

let w: MemoryWorld;
let t: string;
const EXECUTION = 'split-exec-1';

beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1, 2]);
  const { tenant, shards } = await seedTenant(w.tenants, { count: 2, attached: [1, 2] });
  t = tenant.tenantId;
  // Placed for real on the fake pageservers (generation 2), as before any split.
  await reconcileInline(
    shards.map((s) => s.id),
    reconcileDeps(w.context, 'setup'),
    Date.now() + 5_000,
  );
  // The workflow holds the tenant for the whole split.
  expect(await w.leases.acquire(t, TENANT_OPERATION_LEASE, EXECUTION, 60_000)).toBe(true);
  w.pageservers.calls.length = 0;
});

const input = (count = 4): BeginSplitInput => ({ tenant_id: t, new_shard_count: count });
const ids = async () =>
  (await w.tenants.getTenantWithShards(t))!.shards.map((s) => formatTenantShardId(s.id));

describe('beginSplit', () => {
  it('persists the children on their parents’ nodes, in the parents’ generation, all flagged', async () => {
    const out = await beginSplit(w.context, input());
    expect(out).toEqual({
      done: false,
      targets: [
        { parent: `${t}-0002`, node: 1, children: [`${t}-0004`, `${t}-0204`] },
        { parent: `${t}-0102`, node: 2, children: [`${t}-0104`, `${t}-0304`] },
      ],
      new_shards: [`${t}-0004`, `${t}-0204`, `${t}-0104`, `${t}-0304`],
    });
    const { shards } = (await w.tenants.getTenantWithShards(t))!;
    expect(shards.every((s) => s.splitting)).toBe(true);
    for (const child of shards.filter((s) => s.id.count === 4)) {
      const parentNode = (child.id.number % 2) + 1;
      expect(child).toMatchObject({ generation: 2, generationPageserver: parentNode, observed: {} });
      expect(child.intent).toEqual({ attached: parentNode, secondary: [] });
    }
    // Nothing was sent to a pageserver yet.
    expect(w.pageservers.calls).toEqual([]);
  });

  it('is idempotent: a repeat returns the same plan and writes nothing', async () => {
    const first = await beginSplit(w.context, input());
    const writes = w.tenants.writes.length;
    const stored = await w.tenants.getTenantWithShards(t);
    const again = await beginSplit(w.context, input());
    // The same targets and the same children (listed in another order).
    expect(again.done).toBe(false);
    expect(!again.done && again.targets).toEqual(!first.done && first.targets);
    expect([...again.new_shards].sort()).toEqual([...first.new_shards].sort());
    expect(w.tenants.writes.length).toBe(writes);
    expect(await w.tenants.getTenantWithShards(t)).toEqual(stored);
  });

  it('answers done when the tenant already has the count', async () => {
    expect(await beginSplit(w.context, input(2))).toEqual({
      done: true,
      new_shards: [`${t}-0002`, `${t}-0102`],
    });
  });

  it('rejects (never retried) an unknown tenant or an impossible count', async () => {
    await expect(beginSplit(w.context, { ...input(), tenant_id: 'ab'.repeat(16) })).rejects.toBeInstanceOf(
      RejectedError,
    );
    await expect(beginSplit(w.context, input(6))).rejects.toBeInstanceOf(RejectedError);
    expect(await ids()).toEqual([`${t}-0002`, `${t}-0102`]);
  });
});

describe('splitParent', () => {
  it('splits the parent on its node, and a repeat after the answer was lost succeeds', async () => {
    const out = await beginSplit(w.context, input());
    if (out.done) throw new Error('expected a split');
    const target = out.targets[0]!;
    await splitParent(w.context, target, 4);
    expect(Object.keys(w.pageservers.held(1)).sort()).toEqual(target.children);
    // The pageserver no longer has the parent: a retried task must still succeed.
    await splitParent(w.context, target, 4);
    expect(w.pageservers.callsTo({ method: 'shardSplit' })).toHaveLength(2);
  });

  it('maps a transient failure to Transient and a refusal to PageserverRefused', async () => {
    const out = await beginSplit(w.context, input());
    const target = (out as { targets: Array<{ parent: string; node: number; children: string[] }> })
      .targets[0]!;
    w.pageservers.failNext({ method: 'shardSplit' });
    await expect(splitParent(w.context, target, 4)).rejects.toBeInstanceOf(TransientError);
    w.pageservers.failNext({ method: 'shardSplit' }, refusal(400, 'bad split'));
    await expect(splitParent(w.context, target, 4)).rejects.toBeInstanceOf(PageserverRefusedError);
    // Neither failure split anything.
    expect(Object.keys(w.pageservers.held(1))).toEqual([target.parent]);
  });
});

async function splitOnPageservers() {
  const out = await beginSplit(w.context, input());
  if (out.done) throw new Error('expected a split');
  for (const target of out.targets) await splitParent(w.context, target, 4);
  return out;
}

describe('commitSplit', () => {
  it('drops the parents and leaves the children live, attached in the parents’ generation', async () => {
    await splitOnPageservers();
    const out = await commitSplit(w.context, input());
    expect(out.new_shards.sort()).toEqual([`${t}-0004`, `${t}-0104`, `${t}-0204`, `${t}-0304`]);
    const { tenant, shards } = (await w.tenants.getTenantWithShards(t))!;
    expect(tenant.shardCount).toBe(4);
    expect(shards.map((s) => s.id.count)).toEqual([4, 4, 4, 4]);
    for (const child of shards) {
      expect(child.splitting).toBe(false);
      const node = String(child.intent.attached);
      expect(child.observed[node]).toMatchObject({ mode: 'AttachedSingle', generation: 2 });
      // What we believe is what the pageserver holds.
      expect(w.pageservers.held(Number(node))[formatTenantShardId(child.id)]).toMatchObject({
        generation: 2,
      });
    }
    expect(await consistencyCheck(w.context)).toEqual([]);
    // A repeat changes nothing.
    const stored = await w.tenants.getTenantWithShards(t);
    await commitSplit(w.context, input());
    expect(await w.tenants.getTenantWithShards(t)).toEqual(stored);
  });
});

describe('commitSplit with a child placed nowhere meanwhile', () => {
  it('observes that child nowhere (no location keyed "null"), for the reconcile to place', async () => {
    await splitOnPageservers();
    // Its node was deleted while no other node could take it: the child is intended nowhere.
    const child = (await w.tenants.getTenantWithShards(t))!.shards.find((s) => s.id.count === 4)!;
    await w.tenants.saveShards([
      { before: child, after: { ...child, intent: { attached: null, secondary: [] } } },
    ]);
    await commitSplit(w.context, input());
    const after = (await w.tenants.getShard(child.id))!;
    expect(after.observed).toEqual({});
    expect(after.splitting).toBe(false);
  });
});

describe('abortSplit', () => {
  it('restores the parents, attached again in a newer generation, with the children gone everywhere', async () => {
    await splitOnPageservers();
    await abortSplit(w.context, input(), EXECUTION);

    expect(await ids()).toEqual([`${t}-0002`, `${t}-0102`]);
    const { tenant, shards } = (await w.tenants.getTenantWithShards(t))!;
    expect(tenant.shardCount).toBe(2);
    for (const parent of shards) {
      expect(parent.splitting).toBe(false);
      const node = parent.intent.attached!;
      // Re-attached after the abort: a newer generation than the one the children ran in.
      expect(parent.generation).toBeGreaterThan(2);
      expect(parent.observed[String(node)]).toMatchObject({
        mode: 'AttachedSingle',
        generation: parent.generation,
      });
      expect(w.pageservers.held(node)).toEqual({
        [formatTenantShardId(parent.id)]: parent.observed[String(node)],
      });
    }
    expect(await consistencyCheck(w.context)).toEqual([]);
    expect(w.tenants.dirtyIds()).toEqual([]);
  });

  it('before any pageserver split, removes the children and leaves the parents working', async () => {
    await beginSplit(w.context, input());
    await abortSplit(w.context, input(), EXECUTION);
    expect(await ids()).toEqual([`${t}-0002`, `${t}-0102`]);
    expect(Object.keys(w.pageservers.held(1))).toEqual([`${t}-0002`]);
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('changes nothing in the table when a child cannot be detached, so a retry can finish', async () => {
    await splitOnPageservers();
    const before = await w.tenants.getTenantWithShards(t);
    w.pageservers.down.add(2);
    await expect(abortSplit(w.context, input(), EXECUTION)).rejects.toBeInstanceOf(TransientError);
    expect(await w.tenants.getTenantWithShards(t)).toEqual(before);
    w.pageservers.down.delete(2);
    await abortSplit(w.context, input(), EXECUTION);
    expect(await ids()).toEqual([`${t}-0002`, `${t}-0102`]);
    expect(await consistencyCheck(w.context)).toEqual([]);
  });

  it('does nothing after a commit', async () => {
    await splitOnPageservers();
    await commitSplit(w.context, input());
    const committed = await w.tenants.getTenantWithShards(t);
    await abortSplit(w.context, input(), EXECUTION);
    expect(await w.tenants.getTenantWithShards(t)).toEqual(committed);
  });
});
