// The tenant store's batch reads, in memory and on DynamoDB Local alike: shards by id in batches,
// tenants with their shards (a split in progress included), pages of the fleet, and the sparse
// index in full (dirty shards and shards needing a placement).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatTenantShardId, shardsOfCount, splitChildren } from '../../../lambdas/core/ids';
import type { TenantShard } from '../../../lambdas/core/model/tenant-shard';
import { isDirty, needsPlacement } from '../../../lambdas/core/reconcile-plan';
import { newTenantId } from '../../support/memory';
import { addNodes, STORE_KINDS, type Stores, settled, shardOf, tenantOf } from './store-contract';

const byId = (shards: TenantShard[]) => shards.map((s) => formatTenantShardId(s.id)).sort();

describe.each(STORE_KINDS)('stores %s', (_name, open) => {
  let s: Stores;
  beforeEach(async () => {
    s = await open();
    await addNodes(s.nodes, [1, 2]);
  });
  afterEach(async () => {
    await s.close();
  });

  async function allOf(list: (limit: number, cursor?: string) => Promise<{ ids: unknown[]; next?: string }>) {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(2, cursor);
      expect(page.ids.length).toBeLessThanOrEqual(2);
      seen.push(...(page.ids as Parameters<typeof formatTenantShardId>[0][]).map(formatTenantShardId));
      cursor = page.next;
    } while (cursor);
    return seen.sort();
  }

  it('reads shards by id in batches of more than one call, leaving out the ones it does not have', async () => {
    const tenants = Array.from({ length: 15 }, () => newTenantId());
    const written: TenantShard[] = [];
    for (const t of tenants) {
      const shards = shardsOfCount(t, 8).map((id) => settled(shardOf(id, 1 + (id.number % 2))));
      await s.tenants.createTenant(tenantOf(t, 8), shards);
      written.push(...shards);
    }
    const missing = { tenantId: newTenantId(), number: 0, count: 0 };
    const ids = [...written.map((x) => x.id), missing, written[0]!.id];
    const got = await s.tenants.getShards(ids);
    expect(byId(got)).toEqual(byId(written));
    const one = got.find((x) => formatTenantShardId(x.id) === formatTenantShardId(written[9]!.id));
    expect(one).toEqual({ ...written[9], version: 1 });
    expect(await s.tenants.getShards([])).toEqual([]);
  });

  it('reads tenants with their shards in shard order, a split in progress whole, absent ones left out', async () => {
    const [plain, splitting] = [newTenantId(), newTenantId()];
    await s.tenants.createTenant(
      tenantOf(plain, 4),
      shardsOfCount(plain, 4).map((id) => shardOf(id, 1)),
    );
    const parent = shardOf({ tenantId: splitting, number: 0, count: 0 }, 1);
    await s.tenants.createTenant(tenantOf(splitting, 0), [parent]);
    // A split begins: the parent is flagged and its children written beside it.
    const stored = (await s.tenants.getShard(parent.id))!;
    await s.tenants.saveShards([
      { before: stored, after: { ...stored, splitting: true } },
      ...splitChildren(parent.id, 2).map((id) => ({
        before: null,
        after: { ...shardOf(id, 1), splitting: true },
      })),
    ]);
    const got = await s.tenants.getTenantsWithShards([splitting, newTenantId(), plain]);
    expect(got.map((x) => x.tenant.tenantId).sort()).toEqual([plain, splitting].sort());
    for (const whole of got)
      expect(whole).toEqual(await s.tenants.getTenantWithShards(whole.tenant.tenantId));
    expect(got.find((x) => x.tenant.tenantId === splitting)?.shards).toHaveLength(3);
  });

  it('pages through the fleet in tenant id order, each tenant with its shards', async () => {
    const ids = Array.from({ length: 5 }, () => newTenantId());
    for (const [i, t] of ids.entries()) {
      const count = i % 2 === 0 ? 0 : 2;
      await s.tenants.createTenant(
        tenantOf(t, count),
        shardsOfCount(t, count).map((id) => shardOf(id, 2)),
      );
    }
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await s.tenants.listTenantsWithShards(2, after);
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      for (const whole of page.tenants) {
        expect(whole).toEqual(await s.tenants.getTenantWithShards(whole.tenant.tenantId));
        seen.push(whole.tenant.tenantId);
      }
      after = page.next;
    } while (after);
    expect(seen).toEqual([...ids].sort());
  });

  it('lists dirty shards and shards needing a placement as unsettled; only the dirty ones as dirty', async () => {
    const t = newTenantId();
    const [a, b, c, d] = shardsOfCount(t, 4);
    const shards = [
      settled(shardOf(a!, 1)), // settled
      shardOf(b!, 2), // dirty: not attached yet
      shardOf(c!, null), // unplaced, nothing observed: not dirty
      settled(shardOf(d!, 1)),
    ];
    await s.tenants.createTenant(tenantOf(t, 4), shards);
    expect(needsPlacement(shards[2]!) && !isDirty(shards[2]!)).toBe(true);
    expect(await allOf((l, cur) => s.tenants.listDirty(l, cur))).toEqual([formatTenantShardId(b!)]);
    expect(await allOf((l, cur) => s.tenants.listUnsettled(l, cur))).toEqual(
      [b!, c!].map(formatTenantShardId).sort(),
    );
    // Placed (and settled there): it leaves the index.
    const unplaced = (await s.tenants.getShard(c!))!;
    await s.tenants.saveShards([
      { before: unplaced, after: settled({ ...unplaced, intent: { attached: 2, secondary: [] } }) },
    ]);
    expect(await allOf((l, cur) => s.tenants.listUnsettled(l, cur))).toEqual([formatTenantShardId(b!)]);
    // A shard whose policy attaches nowhere needs no placement.
    const four = (await s.tenants.getShard(d!))!;
    await s.tenants.saveShards([
      {
        before: four,
        after: {
          ...four,
          policy: { kind: 'Detached' },
          intent: { attached: null, secondary: [] },
          observed: {},
        },
      },
    ]);
    expect(await allOf((l, cur) => s.tenants.listUnsettled(l, cur))).toEqual([formatTenantShardId(b!)]);
  });
});
