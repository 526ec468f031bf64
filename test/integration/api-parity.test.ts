// Parity with the modern storage controller on the local stack, after its regression scenarios
// (later-features.md §4): tenant_conf (15), re_attach (18), shard_scheduling_policy (19), and the
// node status, node shards and locate calls that orchestrators and operators make.
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

type Shard = { tenant_shard_id: string; node_attached: number | null; node_secondary: number[] };
const describeTenant = async (t: string) =>
  (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
    shards: Shard[];
    config: Record<string, unknown>;
  };

/** A counter from /metrics (0 when absent). */
async function metric(name: string, labels = ''): Promise<number> {
  const text = (await api.call('GET', '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** The tenant_conf of every location the pageservers hold for tenant `t`. */
const heldConfigs = (t: string) =>
  api.stack.fleet.pageservers.flatMap((p) =>
    p
      .locations()
      .filter((l) => l.shard.startsWith(t))
      .map((l) => l.conf.tenant_conf),
  );

describe('tenant config (test_storage_controller_tenant_conf)', () => {
  it('PUT replaces the config on every location of every shard, and describe shows it; a key left out is cleared', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({
      shard_parameters: { count: 2, stripe_size: 8192 },
      placement_policy: { Attached: 1 },
    });
    const put = await api.call('PUT', '/v1/tenant/config', {
      body: { tenant_id: t, pitr_interval: '1m', gc_period: '2h' },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toBeNull();
    // Two shards, each attached and secondary: four locations, all with the new config.
    expect(heldConfigs(t)).toHaveLength(4);
    for (const conf of heldConfigs(t)) expect(conf).toMatchObject({ pitr_interval: '1m', gc_period: '2h' });
    expect((await describeTenant(t)).config).toMatchObject({ pitr_interval: '1m', gc_period: '2h' });
    const got = await api.call('GET', `/v1/tenant/${t}/config`);
    expect(got.status, got.text).toBe(200);
    expect(got.body).toMatchObject({
      tenant_specific_overrides: { pitr_interval: '1m', gc_period: '2h', checkpoint_distance: null },
      effective_config: { pitr_interval: '1m', gc_period: '2h' },
    });
    expect((await api.call('GET', `/v1/tenant/${randomTenantId()}/config`)).status).toBe(404);

    await api.call('PUT', '/v1/tenant/config', { body: { tenant_id: t, pitr_interval: '5m' } });
    for (const conf of heldConfigs(t)) {
      expect(conf.pitr_interval).toBe('5m');
      expect(conf.gc_period ?? null).toBeNull();
    }
    expect((await describeTenant(t)).config).toMatchObject({ pitr_interval: '5m', gc_period: null });
    await expectConsistent(api);
  });

  it('PATCH merges: a key set to null is removed, keys left out are kept', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = await create({ pitr_interval: '1m', gc_period: '2h' });
    const patch = await api.call('PATCH', '/v1/tenant/config', {
      body: { tenant_id: t, gc_period: null, checkpoint_distance: 1234 },
    });
    expect(patch.status, patch.text).toBe(200);
    expect((await describeTenant(t)).config).toMatchObject({
      pitr_interval: '1m',
      gc_period: null,
      checkpoint_distance: 1234,
    });
    const [held] = heldConfigs(t);
    expect(held).toMatchObject({ pitr_interval: '1m', checkpoint_distance: 1234 });
    expect(held?.gc_period ?? null).toBeNull();
    await expectConsistent(api);
  });

  it('answers 404 for an unknown tenant and 400 for an unknown key or a shard id, changing nothing', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = await create({ pitr_interval: '1m' });
    for (const method of ['PUT', 'PATCH']) {
      const unknown = await api.call(method, '/v1/tenant/config', { body: { tenant_id: randomTenantId() } });
      expect(unknown.status, unknown.text).toBe(404);
      const badKey = await api.call(method, '/v1/tenant/config', { body: { tenant_id: t, colour: 'red' } });
      expect(badKey.status).toBe(400);
      expect((badKey.body as { msg: string }).msg).toMatch(/colour/);
      const sharded = await api.call(method, '/v1/tenant/config', { body: { tenant_id: `${t}-0102` } });
      expect(sharded.status).toBe(400);
      expect((sharded.body as { msg: string }).msg).toMatch(/tenant_id/);
    }
    expect((await describeTenant(t)).config).toMatchObject({ pitr_interval: '1m' });
  });
});

describe('node status and node shards (later-features.md A13)', () => {
  it("GET /control/v1/node/:id answers the node; /shards lists each shard's intended and observed role there", async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({ placement_policy: { Attached: 1 } });
    const { node_attached, node_secondary } = (await describeTenant(t)).shards[0]!;
    const status = await api.call('GET', `/control/v1/node/${node_attached}`);
    expect(status.status, status.text).toBe(200);
    expect(status.body).toMatchObject({
      id: node_attached,
      availability: 'Active',
      scheduling: expect.any(String),
      availability_zone_id: null,
      listen_http_addr: '127.0.0.1',
      listen_http_port: expect.any(Number),
    });
    expect(await api.call('GET', `/control/v1/node/${node_attached}/shards`).then((r) => r.body)).toEqual({
      node_id: node_attached,
      shards: [{ tenant_shard_id: t, is_intended_secondary: false, is_observed_secondary: false }],
    });
    expect(await api.call('GET', `/control/v1/node/${node_secondary[0]}/shards`).then((r) => r.body)).toEqual(
      {
        node_id: node_secondary[0],
        shards: [{ tenant_shard_id: t, is_intended_secondary: true, is_observed_secondary: true }],
      },
    );
    expect((await api.call('GET', '/control/v1/node/99')).status).toBe(404);
    expect((await api.call('GET', '/control/v1/node/99/shards')).status).toBe(404);
  });
});

describe('locate under /debug/v1', () => {
  it('answers as /control/v1 locate does', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = await create({ shard_parameters: { count: 2, stripe_size: 8192 } });
    const debug = await api.call('GET', `/debug/v1/tenant/${t}/locate`);
    expect(debug.status, debug.text).toBe(200);
    expect(debug.body).toEqual((await api.call('GET', `/control/v1/tenant/${t}/locate`)).body);
    expect(debug.body).toMatchObject({ shard_params: { count: 2, stripe_size: 8192 } });
    expect((await api.call('GET', `/debug/v1/tenant/${randomTenantId()}/locate`)).status).toBe(404);
  });
});

describe('shard scheduling policy (test_storage_controller_shard_scheduling_policy)', () => {
  it('Stop makes reconcile-all skip a failing shard silently; Active with the node back attaches it', async () => {
    api = await startTestApi({ pageservers: 1 });
    const ps = api.stack.fleet.byId(1);
    const t = await create({ placement_policy: 'Detached' });
    // The pageserver cannot take the attach (its management API fails).
    ps.faults.add({ path: 'location_config', status: 503 });
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: { Attached: 0 } } });
    const errors = () => metric('storage_controller_reconcile_complete', '{status="error"}');
    const first = await errors();
    expect(first).toBeGreaterThan(0);
    await api.stack.reconcileAllNow();
    const second = await errors();
    expect(second).toBeGreaterThan(first);

    const stop = await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { scheduling: 'Stop' } });
    expect(stop.status, stop.text).toBe(200);
    await api.stack.reconcileAllNow();
    await api.stack.reconcileAllNow();
    expect(await errors()).toBe(second);

    ps.faults.clear();
    const ok = await metric('storage_controller_reconcile_complete', '{status="ok"}');
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { scheduling: 'Active' } });
    expect(await metric('storage_controller_reconcile_complete', '{status="ok"}')).toBeGreaterThan(ok);
    expect(ps.locations()).toEqual([{ shard: t, conf: expect.objectContaining({ mode: 'AttachedSingle' }) }]);
    await expectConsistent(api);
  });

  it('Stop can still be detached: a Detached placement lifts it (test_storage_controller_detached_stopped)', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = await create();
    await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { scheduling: 'Stop' } });
    const detach = await api.call('PUT', `/v1/tenant/${t}/location_config`, {
      body: { tenant_id: t, mode: 'Detached', generation: null, secondary_conf: null, tenant_conf: {} },
    });
    expect(detach.status, detach.text).toBe(200);
    expect(api.stack.fleet.byId(1).locations()).toEqual([]);
    await expectConsistent(api);
  });
});

describe('re-attach after a hard kill (test_storage_controller_re_attach)', () => {
  it("turns the restarted node's locations into secondaries with exactly one reconcile per shard", async () => {
    api = await startTestApi({ pageservers: 2 });
    // Two tenants, each attached on one node with a secondary on the other.
    const a = await create({ placement_policy: { Attached: 1 } });
    const b = await create({ placement_policy: { Attached: 1 } });
    const placed = async (t: string) => (await describeTenant(t)).shards[0]!.node_attached;
    if ((await placed(a)) === (await placed(b))) {
      const other = (await placed(a)) === 1 ? 2 : 1;
      const moved = await api.call('PUT', `/control/v1/tenant/${b}/migrate`, {
        body: { tenant_shard_id: b, node_id: other },
      });
      expect(moved.status, moved.text).toBe(200);
    }
    const victim = (await placed(a))!;
    const survivor = victim === 1 ? 2 : 1;
    const ps = api.stack.fleet.byId(victim);
    // Failover and reconciles only: once the victim is back, an idle reconcile-all pass (one
    // finding the heartbeat did both reconciles first) would otherwise rebalance an attachment
    // onto it, which is the optimizer's business, not this test's.
    for (const t of [a, b]) {
      const essential = await api.call('PUT', `/control/v1/tenant/${t}/policy`, {
        body: { scheduling: 'Essential' },
      });
      expect(essential.status, essential.text).toBe(200);
    }

    // Hard kill, noticed as Offline: both tenants end up attached on the survivor.
    await ps.stop();
    const offline = await api.call('PUT', `/control/v1/node/${victim}/config`, {
      body: { node_id: victim, availability: 'Offline' },
    });
    expect(offline.status, offline.text).toBe(200);
    expect(await placed(a)).toBe(survivor);
    expect(await placed(b)).toBe(survivor);

    // Restart: the re-attach answer makes both of its locations secondaries. Counted from before
    // the restart: the node's first heartbeat may reconcile a shard before reconcile-all does.
    const spawned = () => metric('storage_controller_reconcile_spawn');
    const before = await spawned();
    await ps.start();
    await ps.waitUntilActive();
    expect(
      ps
        .locations()
        .map((l) => [l.shard, l.conf.mode])
        .sort(),
    ).toEqual(
      [
        [a, 'Secondary'],
        [b, 'Secondary'],
      ].sort(),
    );
    await api.stack.reconcileAllNow();
    expect((await spawned()) - before).toBe(2);
    for (const t of [a, b]) {
      expect((await describeTenant(t)).shards[0]).toMatchObject({
        node_attached: survivor,
        node_secondary: [victim],
      });
    }
    // Nothing left to reconcile. (A quiet pass runs the optimizer, which may now move an
    // attachment back to the warm secondary for balance: by migration, not a reconcile.)
    await api.stack.reconcileAllNow();
    expect((await spawned()) - before).toBe(2);
    await expectConsistent(api);
  });
});
