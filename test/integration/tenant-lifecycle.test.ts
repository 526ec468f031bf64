// Reference §11 scenarios on the local stack: real handlers, DynamoDB Local, simulated
// pageservers over HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

type Located = { shards: Array<{ shard_id: string; node_id: number }> };

async function locate(tenantId: string): Promise<Located> {
  const res = await api.call('GET', `/control/v1/tenant/${tenantId}/locate`);
  expect(res.status).toBe(200);
  return res.body as Located;
}

async function shardsPerNode(tenants: string[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const t of tenants)
    for (const s of (await locate(t)).shards) counts.set(s.node_id, (counts.get(s.node_id) ?? 0) + 1);
  return counts;
}

async function createTenant(count: number, extra: Record<string, unknown> = {}): Promise<string> {
  const tenantId = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', {
    body: { new_tenant_id: tenantId, shard_parameters: { count, stripe_size: 32768 }, ...extra },
  });
  expect(res.status, res.text).toBe(201);
  return tenantId;
}

describe('smoke (reference §11.1)', () => {
  it('places, serves timelines, evacuates an offline node without moving back, survives a pageserver restart, deletes, and avoids draining nodes', async () => {
    api = await startTestApi({ pageservers: 3 });
    const tenants: string[] = [];
    for (let i = 0; i < 6; i++) tenants.push(await createTenant(2));
    expect(await shardsPerNode(tenants)).toEqual(
      new Map([
        [1, 4],
        [2, 4],
        [3, 4],
      ]),
    );

    const t0 = tenants[0]!;
    const timeline = 'de200bd42b49cc1814412c7e592dd6e9';
    const created = await api.call('POST', `/v1/tenant/${t0}/timeline`, {
      body: { new_timeline_id: timeline },
    });
    expect(created.status, created.text).toBe(201);
    expect((await api.call('GET', `/v1/tenant/${t0}/timeline`)).body).toHaveLength(1);
    const second = await api.call('POST', `/v1/tenant/${t0}/timeline`, {
      body: { new_timeline_id: 'ab200bd42b49cc1814412c7e592dd6e9', ancestor_timeline_id: timeline },
    });
    expect(second.status).toBe(201);
    // every shard branched at the LSN shard zero chose
    for (const { shard_id, node_id } of (await locate(t0)).shards) {
      const ps = api.stack.fleet.byId(node_id);
      const list = (await (await fetch(`${ps.baseUrl}/v1/tenant/${shard_id}/timeline`)).json()) as unknown[];
      expect(list).toHaveLength(2);
    }
    expect(
      (await api.call('DELETE', `/v1/tenant/${t0}/timeline/ab200bd42b49cc1814412c7e592dd6e9`)).status,
    ).toBe(200);
    expect((await api.call('GET', `/v1/tenant/${t0}/timeline`)).body).toHaveLength(1);

    // Offline: nothing stays located on node 1; Active again: nothing moves back.
    expect(
      (await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, availability: 'Offline' } }))
        .status,
    ).toBe(200);
    expect((await shardsPerNode(tenants)).get(1)).toBeUndefined();
    await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, availability: 'Active' } });
    await api.stack.reconcileAllNow();
    expect((await shardsPerNode(tenants)).get(1)).toBeUndefined();
    // node 1 was sent its detaches once it came back. The optimizer (reconcile-all with nothing else
    // to do) may begin moving shards back to the emptied node, but gradually: a warm secondary
    // first, never an attachment at once.
    expect(
      api.stack.fleet
        .byId(1)
        .locations()
        .filter((l) => l.conf.mode !== 'Secondary'),
    ).toEqual([]);

    // A pageserver restart keeps every location, in newer generations.
    const ps2 = api.stack.fleet.byId(2);
    const before = ps2.locations();
    await ps2.restart();
    await ps2.waitUntilActive();
    const after = ps2.locations();
    expect(after.map((l) => l.shard).sort()).toEqual(before.map((l) => l.shard).sort());
    for (const l of after) {
      const old = before.find((b) => b.shard === l.shard)!;
      expect({ ...l.conf, generation: 0 }).toEqual({ ...old.conf, generation: 0 });
      // Attached locations come back in the next generation; a secondary (the optimizer may have
      // made some) has none.
      if (old.conf.generation !== null) expect(l.conf.generation).toBe(old.conf.generation + 1);
      else expect(l.conf.mode).toBe('Secondary');
    }
    await expectConsistent(api);

    for (const t of tenants) {
      expect((await api.call('DELETE', `/v1/tenant/${t}`)).status).toBe(200);
      expect((await api.call('GET', `/v1/tenant/${t}`)).status).toBe(404);
    }
    for (const ps of api.stack.fleet.pageservers) expect(ps.locations()).toEqual([]);

    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Draining' } });
    const fresh: string[] = [];
    for (let i = 0; i < 6; i++) fresh.push(await createTenant(2));
    const counts = await shardsPerNode(fresh);
    expect(counts.get(2)).toBeUndefined();
    expect(counts.get(1)).toBe(6);
    expect(counts.get(3)).toBe(6);
    await expectConsistent(api);
  }, 90_000);
});

describe('passthrough (reference §11.3)', () => {
  it('answers tenant and timeline GETs from shard zero', async () => {
    api = await startTestApi({ pageservers: 2 });
    const tenantId = await createTenant(0);
    await api.call('POST', `/v1/tenant/${tenantId}/timeline`, {
      body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
    });
    const status = await api.call('GET', `/v1/tenant/${tenantId}`);
    expect(status.body).toMatchObject({
      id: tenantId,
      state: { slug: 'Active' },
      timelines: ['de200bd42b49cc1814412c7e592dd6e9'],
    });
    const detail = await api.call('GET', `/v1/tenant/${tenantId}/timeline/de200bd42b49cc1814412c7e592dd6e9`);
    expect(detail.body).toMatchObject({ timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' });
    const sharded = await createTenant(2);
    const list = await api.call('GET', `/v1/tenant/${sharded}/timeline`);
    expect(list.status).toBe(200);
    expect((await api.call('GET', `/v1/tenant/${randomTenantId()}`)).status).toBe(404);
    await expectConsistent(api);
  });
});

describe('detached tenants and pageserver restarts (reference §11.4)', () => {
  it('keeps a detached tenant off its pageserver across a restart', async () => {
    api = await startTestApi({ pageservers: 1 });
    const a = await createTenant(0);
    const b = await createTenant(0);
    expect(
      (await api.call('POST', '/debug/v1/attach-hook', { body: { tenant_shard_id: a, node_id: null } })).body,
    ).toEqual({ gen: null });
    const ps = api.stack.fleet.byId(1);
    await fetch(`${ps.baseUrl}/v1/tenant/${a}/location_config`, {
      method: 'PUT',
      body: JSON.stringify({ tenant_id: a, mode: 'Detached', tenant_conf: {} }),
    });
    await ps.restart();
    await ps.waitUntilActive();
    expect(ps.locations().map((l) => l.shard)).toEqual([b]);
    await expectConsistent(api);
  });
});

describe('onboarding (reference §11.5)', () => {
  it('imports a tenant with its generation and attaches it in the next one', async () => {
    api = await startTestApi({ pageservers: 1 });
    const tenantId = randomTenantId();
    const body = {
      tenant_id: tenantId,
      mode: 'AttachedMulti',
      generation: 124,
      tenant_conf: { gc_period: '1h' },
    };
    const res = await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, { body });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ shards: [{ shard_id: tenantId, node_id: 1 }] });
    const ps = api.stack.fleet.byId(1);
    expect(ps.locations()).toEqual([
      { shard: tenantId, conf: expect.objectContaining({ mode: 'AttachedSingle', generation: 125 }) },
    ]);
    // a repeat in AttachedSingle is a no-op: no new generation
    await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { ...body, mode: 'AttachedSingle' },
    });
    expect(ps.locations()[0]?.conf.generation).toBe(125);
    // the policy is persisted
    expect((await api.call('GET', `/control/v1/tenant/${tenantId}`)).body).toMatchObject({
      policy: { Attached: 0 },
    });
    await expectConsistent(api);
  });

  it('refuses imports that are not attached or have no generation', async () => {
    api = await startTestApi({ pageservers: 1 });
    const tenantId = randomTenantId();
    const detached = await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { tenant_id: tenantId, mode: 'Secondary', tenant_conf: {} },
    });
    expect(detached).toMatchObject({
      status: 400,
      body: { msg: 'Imported tenant must be in attached mode' },
    });
    const noGen = await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { tenant_id: tenantId, mode: 'AttachedSingle', tenant_conf: {} },
    });
    expect(noGen).toMatchObject({
      status: 400,
      body: { msg: 'Generation is mandatory when importing tenant' },
    });
    const sharded = await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { tenant_id: `${tenantId}-0001`, mode: 'AttachedSingle', generation: 1, tenant_conf: {} },
    });
    expect(sharded.status).toBe(400);
    expect((await api.call('GET', '/debug/v1/tenant')).body).toEqual([]);
  });
});

describe('compute hook (reference §11.6)', () => {
  it('notifies on attach and again after evacuating an offline node', async () => {
    api = await startTestApi({ pageservers: 2 });
    const hook = api.stack.computeHook!;
    const tenantId = await createTenant(0);
    await hook.waitFor((all) => all.length === 1);
    expect(hook.notifications[0]?.body).toEqual({
      tenant_id: tenantId,
      stripe_size: null,
      preferred_az: null,
      shards: [{ node_id: 1, shard_number: 0 }],
    });
    await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, availability: 'Offline' } });
    await hook.waitFor((all) => all.length === 2);
    expect(hook.notifications[1]?.body.shards).toEqual([{ node_id: 2, shard_number: 0 }]);
    await expectConsistent(api);
  });

  it('sends one notification per sharded tenant once every shard is placed, and no duplicate', async () => {
    api = await startTestApi({ pageservers: 2 });
    const hook = api.stack.computeHook!;
    const tenantId = await createTenant(4);
    await hook.waitFor((all) => all.length >= 1);
    expect(hook.notifications).toHaveLength(1);
    expect(hook.notifications[0]?.body).toMatchObject({ tenant_id: tenantId, stripe_size: 32768 });
    expect(hook.notifications[0]?.body.shards.map((s) => s.shard_number)).toEqual([0, 1, 2, 3]);
    await api.call('PUT', `/control/v1/tenant/${tenantId}/policy`, { body: { scheduling: 'Active' } });
    await api.stack.reconcileAllNow();
    expect(hook.notifications).toHaveLength(1);
  });

  it('keeps the tenant and retries the notification after the hook recovers', async () => {
    api = await startTestApi({ pageservers: 1 });
    const hook = api.stack.computeHook!;
    hook.faults.add({ status: 503 });
    const tenantId = await createTenant(0);
    const described = (await api.call('GET', `/control/v1/tenant/${tenantId}`)).body as {
      shards: Array<{ is_pending_compute_notification: boolean; node_attached: number }>;
    };
    expect(described.shards[0]).toMatchObject({ is_pending_compute_notification: true, node_attached: 1 });
    hook.faults.clear();
    await api.stack.reconcileAllNow();
    await hook.waitFor((all) => all.length === 1);
    const after = (await api.call('GET', `/control/v1/tenant/${tenantId}`)).body as typeof described;
    expect(after.shards[0]?.is_pending_compute_notification).toBe(false);
  }, 30_000);
});

describe('debug APIs (reference §11.7)', () => {
  it('dumps shards and scheduler, drops a node and a tenant, and stays consistent', async () => {
    api = await startTestApi({ pageservers: 2 });
    const one = await createTenant(0);
    const two = await createTenant(2, {});
    await expectConsistent(api);
    expect((await api.call('GET', '/debug/v1/tenant')).body).toHaveLength(3);
    const scheduler = (await api.call('GET', '/debug/v1/scheduler')).body as {
      nodes: Record<string, { shard_count: number; may_schedule: boolean }>;
    };
    expect(Object.keys(scheduler.nodes)).toEqual(['1', '2']);
    expect(Object.values(scheduler.nodes).reduce((a, n) => a + n.shard_count, 0)).toBe(3);
    expect(Object.values(scheduler.nodes).every((n) => n.may_schedule)).toBe(true);
    expect((await api.call('POST', '/debug/v1/node/2/drop')).status).toBe(200);
    expect((await api.call('GET', '/control/v1/node')).body).toHaveLength(1);
    expect((await api.call('POST', `/debug/v1/tenant/${two}/drop`)).status).toBe(200);
    expect((await api.call('GET', '/debug/v1/tenant')).body).toHaveLength(1);
    expect((await api.call('POST', '/debug/v1/inspect', { body: { tenant_shard_id: one } })).body).toEqual({
      attachment: [1, 1],
    });
    const check = await api.call('POST', '/debug/v1/consistency_check');
    expect(check.status, check.text).toBe(200);
  });

  it('fails the consistency check, naming the mismatch, when a counter is wrong', async () => {
    api = await startTestApi({ pageservers: 1 });
    await createTenant(0);
    const node = (await api.stack.services.nodes.get(1))!;
    // Corrupt the stored counter behind the store's back.
    const { Table } = await import('../../lambdas/adapters/dynamo/table');
    const { createDocumentClient } = await import('../../lambdas/adapters/dynamo/client');
    const doc = createDocumentClient({ endpoint: api.stack.dynamoEndpoint });
    const table = new Table(
      doc,
      (api.stack.services.tenants as unknown as { table: { name: string } }).table.name,
    );
    await table.update(
      { PK: 'NODES', SK: `NODE#${String(node.id).padStart(20, '0')}` },
      { expectedVersion: node.version, add: { attachedCount: 5 } },
    );
    doc.destroy();
    const check = await api.call('POST', '/debug/v1/consistency_check');
    expect(check.status).toBe(500);
    expect((check.body as { msg: string }).msg).toMatch(
      /node 1 counts attached=6 secondary=0, intents say attached=1/,
    );
  });
});

describe('time travel (reference §11.8)', () => {
  it('rolls back every shard of each listed count on one node, only while detached', async () => {
    api = await startTestApi({ pageservers: 1 });
    const tenantId = await createTenant(2);
    const q = 'travel_to=2024-02-29T10:00:00Z&done_if_after=2024-02-29T11:00:00Z';
    const attached = await api.call('PUT', `/v1/tenant/${tenantId}/time_travel_remote_storage?${q}`, {
      body: { shard_counts: [2] },
    });
    expect(attached.status).toBe(409);
    await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { tenant_id: tenantId, mode: 'Detached', tenant_conf: {} },
    });
    expect(api.stack.fleet.byId(1).locations()).toEqual([]);
    const res = await api.call('PUT', `/v1/tenant/${tenantId}/time_travel_remote_storage?${q}`, {
      body: { shard_counts: [0, 2] },
    });
    expect(res.status, res.text).toBe(200);
    const travelled = api.stack.fleet.storage.writes
      .filter((w) => w.what.startsWith('time-travel'))
      .map((w) => w.shard);
    expect(travelled).toEqual([tenantId, `${tenantId}-0002`, `${tenantId}-0102`]);
    const bad = await api.call(
      'PUT',
      `/v1/tenant/${tenantId}/time_travel_remote_storage?travel_to=yesterday&done_if_after=2024-02-29T11:00:00Z`,
      {
        body: { shard_counts: [2] },
      },
    );
    expect(bad).toMatchObject({ status: 400, body: { msg: "Invalid time for travel_to: 'yesterday'" } });
    const back = await api.call('PUT', `/v1/tenant/${tenantId}/location_config`, {
      body: { tenant_id: tenantId, mode: 'AttachedSingle', generation: 100, tenant_conf: {} },
    });
    expect(back.status).toBe(200);
    expect(api.stack.fleet.byId(1).locations()).toHaveLength(2);
    expect(
      api.stack.fleet
        .byId(1)
        .locations()
        .every((l) => l.conf.generation !== 101),
    ).toBe(true);
    await expectConsistent(api);
  });
});
