// API parity with the modern controller (issue 15): is_reconciling, create's answer when the
// attach failed, reconcile_all's count, cancel_reconcile and migrate_secondary, on the local stack.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

async function create(body: Record<string, unknown> = {}): Promise<string> {
  const tenantId = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: tenantId, ...body } });
  expect(res.status, res.text).toBe(201);
  return tenantId;
}

type Shard = {
  tenant_shard_id: string;
  node_attached: number | null;
  node_secondary: number[];
  is_reconciling: boolean;
  last_error: string;
};
const shardsOf = async (t: string) =>
  ((await api.call('GET', `/control/v1/tenant/${t}`)).body as { shards: Shard[] }).shards;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('is_reconciling', () => {
  it('is true in describe and the tenant list while a reconcile of the shard is in flight', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create();
    const [before] = await shardsOf(t);
    expect(before?.is_reconciling).toBe(false);
    const other = before!.node_attached === 1 ? 2 : 1;
    // The new secondary's location_config is slow: the policy change's reconcile stays in flight.
    api.stack.fleet.byId(other).faults.add({ path: 'location_config', delayMs: 2_000, count: 1 });
    const change = api.call('PUT', `/control/v1/tenant/${t}/policy`, {
      body: { placement: { Attached: 1 } },
    });
    await until('is_reconciling', async () => ((await shardsOf(t))[0]?.is_reconciling ? true : undefined));
    const listed = (await api.call('GET', '/control/v1/tenant')).body as Array<{
      tenant_id: string;
      shards: Shard[];
    }>;
    expect(listed.find((d) => d.tenant_id === t)?.shards[0]?.is_reconciling).toBe(true);
    expect((await change).status).toBe(200);
    expect((await shardsOf(t))[0]).toMatchObject({ is_reconciling: false, node_secondary: [other] });
  });
});

describe('tenant create when the attach fails', () => {
  it('answers 408 when the pageserver cannot be reached in time; the tenant stays and converges', async () => {
    api = await startTestApi({ pageservers: 1 });
    api.stack.fleet.byId(1).faults.add({ path: 'location_config', status: 503 });
    const t = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(res.status, res.text).toBe(408);
    expect((res.body as { msg: string }).msg).toMatch(new RegExp(`^Timeout waiting for shard ${t}`));
    // Kept, placed, not attached yet (a generation was issued for the attempt).
    const [shard] = await shardsOf(t);
    expect(shard).toMatchObject({ node_attached: 1, last_error: expect.stringContaining('503') });
    expect(api.stack.fleet.byId(1).locations()).toEqual([]);
    // Creating it again is a conflict, not a second tenant.
    expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } })).status).toBe(409);
    api.stack.fleet.byId(1).faults.clear();
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(1);
    // Attached in the shard's newest generation (the failed attempt's is never used again).
    const dumped = (await api.call('GET', '/debug/v1/tenant')).body as Array<{
      tenant_shard_id: string;
      generation: number;
    }>;
    const generation = dumped.find((s) => s.tenant_shard_id === t)?.generation;
    expect(api.stack.fleet.byId(1).locations()).toEqual([
      { shard: t, conf: expect.objectContaining({ mode: 'AttachedSingle', generation }) },
    ]);
    expect((await shardsOf(t))[0]?.last_error).toBe('');
    await expectConsistent(api);
  });

  it('answers 500 naming the shard when the pageserver refuses the attach', async () => {
    api = await startTestApi({ pageservers: 1 });
    // Refused for as long as the create tries (its own attempt and the reconcile it falls back to).
    api.stack.fleet.byId(1).faults.add({ path: 'location_config', status: 400 });
    const t = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(res.status, res.text).toBe(500);
    expect((res.body as { msg: string }).msg).toMatch(new RegExp(`^Reconcile error on shard ${t}: `));
    api.stack.fleet.byId(1).faults.clear();
    expect((await api.call('GET', `/control/v1/tenant/${t}`)).status).toBe(200);
  });

  it('answers 201 when only the compute notification failed (it is retried later)', async () => {
    api = await startTestApi({ pageservers: 1 });
    api.stack.computeHook!.faults.add({ status: 400 });
    const t = await create();
    expect(api.stack.fleet.byId(1).locations()).toHaveLength(1);
    api.stack.computeHook!.faults.clear();
    expect((await api.call('GET', `/control/v1/tenant/${t}`)).status).toBe(200);
  });
});

describe('POST /debug/v1/reconcile_all', () => {
  it('answers 0 on an idle fleet, and the number of reconciles it started otherwise', async () => {
    api = await startTestApi({ pageservers: 2 });
    expect(await api.call('POST', '/debug/v1/reconcile_all')).toMatchObject({ status: 200, body: 0 });
    await create();
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(0);
    // Two tenants whose attach could not be made: two reconciles to start.
    for (const p of api.stack.fleet.pageservers) p.faults.add({ path: 'location_config', status: 503 });
    for (const t of [randomTenantId(), randomTenantId()])
      expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } })).status).toBe(408);
    for (const p of api.stack.fleet.pageservers) p.faults.clear();
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(2);
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(0);
    await expectConsistent(api);
  });
});

describe('PUT /control/v1/tenant/{tenant_shard_id}/cancel_reconcile', () => {
  it('is a no-op (200 null) when nothing runs, 404 for an unknown shard', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = await create({ shard_parameters: { count: 2, stripe_size: 128 } });
    expect(await api.call('PUT', `/control/v1/tenant/${t}-0102/cancel_reconcile`)).toMatchObject({
      status: 200,
      body: null,
    });
    const missing = await api.call('PUT', `/control/v1/tenant/${t}-0104/cancel_reconcile`);
    expect(missing).toMatchObject({ status: 404, body: { msg: 'NotFound: Tenant shard not found' } });
  });

  it('stops a running reconcile before its next step; the shard stays dirty for reconcile-all', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const [shard] = await shardsOf(t);
    const old = shard!.node_secondary[0]!;
    const target = [1, 2, 3].find((n) => n !== shard!.node_attached && n !== old)!;
    // The new secondary is made slowly; detaching the old one would come next.
    api.stack.fleet.byId(target).faults.add({ path: 'location_config', delayMs: 1_500, count: 1 });
    const move = api.call('PUT', `/control/v1/tenant/${t}/migrate_secondary`, { body: { node_id: target } });
    await until('the reconcile', async () => ((await shardsOf(t))[0]?.is_reconciling ? true : undefined));
    const cancel = await api.call('PUT', `/control/v1/tenant/${t}/cancel_reconcile`);
    expect(cancel).toMatchObject({ status: 200, body: null });
    const moved = await move;
    expect(moved.status, moved.text).toBe(500);
    expect((moved.body as { msg: string }).msg).toBe(`Reconcile error on shard ${t}: cancelled`);
    // The step in flight finished; the next one (detach the old secondary) did not run.
    expect(api.stack.fleet.byId(target).locations()[0]?.conf.mode).toBe('Secondary');
    expect(api.stack.fleet.byId(old).locations()[0]?.conf.mode).toBe('Secondary');
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(1);
    expect(api.stack.fleet.byId(old).locations()).toEqual([]);
    await expectConsistent(api);
  });
});

describe('PUT /control/v1/tenant/{tenant_shard_id}/migrate_secondary', () => {
  it("moves the shard's secondary location to the node", async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const [shard] = await shardsOf(t);
    const old = shard!.node_secondary[0]!;
    const target = [1, 2, 3].find((n) => n !== shard!.node_attached && n !== old)!;
    const res = await api.call('PUT', `/control/v1/tenant/${t}/migrate_secondary`, {
      body: { tenant_shard_id: t, node_id: target },
    });
    expect(res).toMatchObject({ status: 200, body: {} });
    expect((await shardsOf(t))[0]).toMatchObject({
      node_attached: shard!.node_attached,
      node_secondary: [target],
    });
    expect(api.stack.fleet.byId(target).locations()).toEqual([
      { shard: t, conf: expect.objectContaining({ mode: 'Secondary' }) },
    ]);
    expect(api.stack.fleet.byId(old).locations()).toEqual([]);
    // Again: already there.
    const again = await api.call('PUT', `/control/v1/tenant/${t}/migrate_secondary`, {
      body: { node_id: target },
    });
    expect(again).toMatchObject({ status: 200, body: {} });
    await expectConsistent(api);
  });

  it('refuses the attached node, an unknown node, a shard with no secondary, an unknown shard', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const single = await create();
    const [shard] = await shardsOf(t);
    const put = (id: string, node: number) =>
      api.call('PUT', `/control/v1/tenant/${id}/migrate_secondary`, { body: { node_id: node } });
    const attached = await put(t, shard!.node_attached!);
    expect(attached.status).toBe(400);
    expect((attached.body as { msg: string }).msg).toContain(`is attached to node ${shard!.node_attached}`);
    expect(await put(t, 99)).toMatchObject({ status: 404, body: { msg: 'NotFound: Node not registered' } });
    const none = await put(single, 2);
    expect(none.status).toBe(400);
    expect((none.body as { msg: string }).msg).toContain('keeps no secondary location');
    expect((await put(`${t}-0102`, 2)).status).toBe(404);
    expect((await shardsOf(t))[0]?.node_secondary).toEqual(shard!.node_secondary);
  });
});
