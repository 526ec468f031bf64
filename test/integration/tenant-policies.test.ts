// Policies, generations, concurrency and metrics on the local stack.
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

type Described = {
  shards: Array<{ node_attached: number | null; node_secondary: number[]; last_error: string }>;
  policy: unknown;
};
const describeTenant = async (t: string) =>
  (await api.call('GET', `/control/v1/tenant/${t}`)).body as Described;

describe('placement policies', () => {
  it('{"Attached":1} puts a warm Secondary location on another node', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const d = await describeTenant(t);
    expect(d.policy).toEqual({ Attached: 1 });
    const { node_attached, node_secondary } = d.shards[0]!;
    expect(node_secondary).toHaveLength(1);
    expect(node_secondary[0]).not.toBe(node_attached);
    const secondary = api.stack.fleet.byId(node_secondary[0]!).locations();
    expect(secondary).toEqual([
      { shard: t, conf: expect.objectContaining({ mode: 'Secondary', secondary_conf: { warm: true } }) },
    ]);
    await expectConsistent(api);
  });

  it('switches between Detached, Secondary and Attached through the policy API, persisted', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create();
    expect(
      (await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: 'Detached' } })).status,
    ).toBe(200);
    expect(api.stack.fleet.pageservers.flatMap((p) => p.locations())).toEqual([]);
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: 'Secondary' } });
    const secondaries = api.stack.fleet.pageservers.flatMap((p) => p.locations());
    expect(secondaries.map((l) => l.conf.mode)).toEqual(['Secondary']);
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: { Attached: 0 } } });
    const attached = api.stack.fleet.pageservers.flatMap((p) => p.locations());
    expect(attached.map((l) => l.conf.mode)).toEqual(['AttachedSingle']);
    expect((await describeTenant(t)).policy).toEqual({ Attached: 0 });
    await expectConsistent(api);
  });

  it('keeps placement while paused, and reports Pause in describe', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create();
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, {
      body: { scheduling: 'Pause', placement: { Attached: 1 } },
    });
    const d = (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
      shards: Array<{ node_secondary: number[]; scheduling_policy: string }>;
    };
    expect(d.shards[0]).toMatchObject({ node_secondary: [], scheduling_policy: 'Pause' });
  });

  it('moves an attachment without two sole holders: the old location goes AttachedStale first', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create();
    const origin = (await describeTenant(t)).shards[0]!.node_attached!;
    const put = (path: string, body: unknown) => api.call('PUT', path, { body });
    // Another reconciler holds the shard, so the intent moves off the origin while it still
    // holds the shard AttachedSingle: demoted to Secondary, origin paused, attached again.
    const leases = api.stack.services.leases;
    expect(await leases.acquire(t, 'SHARD#0000', 'test', 60_000)).toBe(true);
    await put(`/control/v1/tenant/${t}/policy`, { placement: 'Secondary' });
    await put(`/control/v1/node/${origin}/config`, { node_id: origin, scheduling: 'Pause' });
    await put(`/control/v1/tenant/${t}/policy`, { placement: { Attached: 0 } });
    expect(api.stack.fleet.byId(origin).locations()[0]?.conf.mode).toBe('AttachedSingle');
    await leases.release(t, 'SHARD#0000', 'test');
    await api.stack.reconcileAllNow();
    const d = (await describeTenant(t)).shards[0]!;
    expect(d.node_attached).not.toBe(origin);
    expect(api.stack.fleet.byId(d.node_attached!).locations()[0]?.conf.mode).toBe('AttachedSingle');
    expect(api.stack.fleet.byId(origin).locations()).toEqual([]);
    // The simulator checks at every call that no two live nodes are AttachedSingle for a shard.
    await expectConsistent(api);
  });

  it('answers 409 naming the scheduling error when no node can take a tenant, persisting nothing', async () => {
    api = await startTestApi({ pageservers: 1 });
    await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, scheduling: 'Pause' } });
    const t = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(res).toMatchObject({
      status: 409,
      body: { msg: 'Conflict: Scheduling error: No pageserver found matching constraint' },
    });
    expect((await api.call('GET', `/control/v1/tenant/${t}`)).status).toBe(404);
    expect((await api.call('GET', '/metrics')).text).toMatch(/storage_controller_scheduling_errors 1/);
  });

  it('answers 409 for a tenant that already exists', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = await create();
    const again = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(again).toMatchObject({ status: 409, body: { msg: `Conflict: Tenant ${t} already exists` } });
    const sharded = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: `${t}-0102` } });
    expect(sharded).toMatchObject({
      status: 400,
      body: { msg: 'Attempted to create a specific shard, this API is for creating the whole tenant' },
    });
  });
});

describe('generations', () => {
  it('validate accepts the latest generation only, and unknown shards', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create();
    const gen = (
      (await api.call('POST', '/debug/v1/inspect', { body: { tenant_shard_id: t } })).body as {
        attachment: [number, number];
      }
    ).attachment[0];
    const res = await api.call('POST', '/upcall/v1/validate', {
      body: {
        tenants: [
          { id: t, gen },
          { id: t, gen: gen - 1 },
          { id: randomTenantId(), gen: 3 },
        ],
      },
    });
    expect(res.body).toEqual({
      tenants: [
        { id: t, valid: true },
        { id: t, valid: false },
        { id: expect.any(String), valid: true },
      ],
    });
  });

  it('re-attach bumps the generation of shards issued to the node and lists them', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({ shard_parameters: { count: 2, stripe_size: 8192 } });
    const res = await api.call('POST', '/upcall/v1/re-attach', { body: { node_id: 1 } });
    expect(res.body).toEqual({
      tenants: [{ id: `${t}-0002`, gen: 2, mode: 'AttachedSingle', stripe_size: 8192 }],
    });
    const validate = await api.call('POST', '/upcall/v1/validate', {
      body: { tenants: [{ id: `${t}-0002`, gen: 1 }] },
    });
    expect(validate.body).toEqual({ tenants: [{ id: `${t}-0002`, valid: false }] });
  });

  it('attach-hook issues generations by hand and inspect reports them', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    expect(
      (await api.call('POST', '/debug/v1/attach-hook', { body: { tenant_shard_id: t, node_id: 2 } })).body,
    ).toEqual({ gen: 1 });
    expect(
      (await api.call('POST', '/debug/v1/attach-hook', { body: { tenant_shard_id: t, node_id: 2 } })).body,
    ).toEqual({ gen: 2 });
    expect((await api.call('POST', '/debug/v1/inspect', { body: { tenant_shard_id: t } })).body).toEqual({
      attachment: [2, 2],
    });
    expect(
      (await api.call('POST', '/debug/v1/attach-hook', { body: { tenant_shard_id: t, node_id: 9 } })).status,
    ).toBe(404);
    await expectConsistent(api);
  });
});

describe('node availability', () => {
  it('reconciles shards whose state was unknown when a node comes back', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const { node_secondary } = (await describeTenant(t)).shards[0]!;
    const secondaryNode = node_secondary[0]!;
    const ps = api.stack.fleet.byId(secondaryNode);
    await api.call('PUT', `/control/v1/node/${secondaryNode}/config`, {
      body: { node_id: secondaryNode, availability: 'Offline' },
    });
    // while "offline" the pageserver lost the location
    await fetch(`${ps.baseUrl}/v1/tenant/${t}/location_config`, {
      method: 'PUT',
      body: JSON.stringify({ tenant_id: t, mode: 'Detached', tenant_conf: {} }),
    });
    await api.call('PUT', `/control/v1/node/${secondaryNode}/config`, {
      body: { node_id: secondaryNode, availability: 'Active' },
    });
    expect(ps.locations()).toEqual([{ shard: t, conf: expect.objectContaining({ mode: 'Secondary' }) }]);
    await expectConsistent(api);
  });

  it('leaves a shard dirty with its error when its pageserver fails, and converges once it recovers', async () => {
    api = await startTestApi({ pageservers: 1 });
    const ps = api.stack.fleet.byId(1);
    ps.faults.add({ path: 'location_config', status: 500 });
    const t = await create();
    const d = await describeTenant(t);
    expect(d.shards[0]?.last_error).toMatch(/location_config AttachedSingle on node 1 failed: .*500/);
    ps.faults.clear();
    await api.stack.reconcileAllNow();
    expect((await describeTenant(t)).shards[0]?.last_error).toBe('');
    expect(ps.locations()).toHaveLength(1);
    const metrics = (await api.call('GET', '/metrics')).text;
    expect(metrics).toMatch(/storage_controller_reconcile_complete\{status="error"\} [1-9]/);
    expect(metrics).toMatch(/storage_controller_reconcile_complete\{status="ok"\} [1-9]/);
    expect(metrics).toMatch(/storage_controller_compute_notifications\{result="ok"\} 1/);
    await expectConsistent(api);
  });
});

describe('reconcile-all passes', () => {
  it('a pass asked for while one runs is a fresh pass after it, shared by every such caller', async () => {
    api = await startTestApi({ pageservers: 1 });
    await api.stack.reconcileAllNow();
    const passes = async () =>
      (await api.stack.services.workflows.list({ limit: 1000 })).filter(
        (e) => e.workflow === 'reconcile-all',
      );
    const before = (await passes()).length;
    const first = api.stack.reconcileAllNow();
    const second = api.stack.reconcileAllNow();
    const third = api.stack.reconcileAllNow();
    expect(second).not.toBe(first);
    expect(third).toBe(second);
    await Promise.all([first, second, third]);
    const after = await passes();
    expect(after).toHaveLength(before + 2);
    expect(after.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });
});

describe('concurrency', () => {
  it('20 concurrent mutations on one tenant end consistent, with no update lost', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = await create({ shard_parameters: { count: 2, stripe_size: 8192 } });
    const policies = [{ Attached: 0 }, { Attached: 1 }, 'Secondary', 'Detached', { Attached: 2 }];
    const mutations = Array.from({ length: 20 }, (_, i) => {
      if (i % 4 === 0)
        return api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: policies[i % 5] } });
      if (i % 4 === 1) {
        return api.call('PUT', `/v1/tenant/${t}/location_config`, {
          body: {
            tenant_id: t,
            mode: i % 8 === 1 ? 'AttachedSingle' : 'Detached',
            tenant_conf: { gc_horizon: i },
          },
        });
      }
      if (i % 4 === 2) {
        const node = (i % 3) + 1;
        return api.call('PUT', `/control/v1/node/${node}/config`, {
          body: { node_id: node, scheduling: i % 8 === 2 ? 'Pause' : 'Active' },
        });
      }
      return api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { scheduling: 'Active' } });
    });
    const results = await Promise.all(mutations);
    // The only refusals are honest ones: a policy no node set could satisfy at that moment
    // (nodes were being paused concurrently). No write was refused for losing a race.
    for (const r of results) {
      if (r.status !== 200) expect(r.text).toMatch(/Scheduling error/);
    }
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(10);
    // Settle: everything reconciled, then the derived state must match the intents exactly.
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
    // The final policy is one that a mutation set (none lost to a blind overwrite).
    const d = await describeTenant(t);
    expect(JSON.stringify(policies)).toContain(JSON.stringify(d.policy));
  }, 60_000);
});
