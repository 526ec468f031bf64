// The reference's regression scenarios for the parity routes (later-features.md §4: #12 debug
// APIs, #49 graceful migration, #50 Attached(0) graceful migration, and #19's reconcile_all
// part), on the local stack, driven as the reference's tests drive the controller: over HTTP,
// with reconcile_until_idle on POST /debug/v1/reconcile_all.
import { afterEach, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

/** The reference harness's reconcile_until_idle: reconcile_all until it answers 0. */
async function reconcileUntilIdle(maxPasses = 10): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < maxPasses; i++) {
    const res = await api.call('POST', '/debug/v1/reconcile_all');
    expect(res.status, res.text).toBe(200);
    counts.push(res.body as number);
    if (res.body === 0) return counts;
  }
  throw new Error(`not idle after ${maxPasses} passes: ${counts.join(', ')}`);
}

type Described = {
  shards: Array<{
    tenant_shard_id: string;
    node_attached: number | null;
    node_secondary: number[];
    last_error: string;
    is_reconciling: boolean;
  }>;
};
const describeTenant = async (t: string) =>
  (await api.call('GET', `/control/v1/tenant/${t}`)).body as Described;
const modesOf = (node: number, shard: string) =>
  api.stack.fleet
    .byId(node)
    .locations()
    .filter((l) => l.shard === shard)
    .map((l) => l.conf.mode);

it('#12 debug APIs: dumps, cancel_reconcile (a no-op), migrate_secondary, node and tenant drop', async () => {
  api = await startTestApi({ pageservers: 3 });
  const t = randomTenantId();
  expect(
    (
      await api.call('POST', '/v1/tenant', {
        body: {
          new_tenant_id: t,
          shard_parameters: { count: 2, stripe_size: 32768 },
          placement_policy: { Attached: 1 },
        },
      })
    ).status,
  ).toBe(201);
  const dump = (await api.call('GET', '/debug/v1/tenant')).body as Array<{ tenant_shard_id: string }>;
  expect(dump.filter((s) => s.tenant_shard_id.startsWith(t))).toHaveLength(2);
  const scheduler = (await api.call('GET', '/debug/v1/scheduler')).body as { nodes: Record<string, unknown> };
  expect(Object.keys(scheduler.nodes)).toEqual(['1', '2', '3']);

  const shard = `${t}-0002`;
  expect(await api.call('PUT', `/control/v1/tenant/${shard}/cancel_reconcile`)).toMatchObject({
    status: 200,
    body: null,
  });

  const before = (await describeTenant(t)).shards[0]!;
  const target = [1, 2, 3].find((n) => n !== before.node_attached && !before.node_secondary.includes(n))!;
  const moved = await api.call('PUT', `/control/v1/tenant/${shard}/migrate_secondary`, {
    body: { tenant_shard_id: shard, node_id: target },
  });
  expect(moved).toMatchObject({ status: 200, body: {} });
  expect((await describeTenant(t)).shards[0]).toMatchObject({
    node_attached: before.node_attached,
    node_secondary: [target],
  });
  expect(modesOf(target, shard)).toEqual(['Secondary']);
  expect(await reconcileUntilIdle()).toEqual([0]);
  await expectConsistent(api);

  // Dropping a node that holds nothing, and the tenant, leave the controller consistent.
  const spare = {
    listen_pg_addr: '127.0.0.1',
    listen_pg_port: 1,
    listen_http_addr: '127.0.0.1',
    listen_http_port: 1,
  };
  expect((await api.call('POST', '/control/v1/node', { body: { node_id: 9, ...spare } })).status).toBe(200);
  expect((await api.call('POST', '/debug/v1/node/9/drop')).status).toBe(200);
  expect((await api.call('POST', `/debug/v1/tenant/${t}/drop`)).status).toBe(200);
  expect((await api.call('GET', `/control/v1/tenant/${t}`)).status).toBe(404);
  const check = await api.call('POST', '/debug/v1/consistency_check');
  expect(check.status, check.text).toBe(200);
});

it('#49 graceful migration: a prewarm migration warms a secondary at the destination, then cuts over', async () => {
  api = await startTestApi({ pageservers: 2 });
  const t = randomTenantId();
  expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } })).status).toBe(201);
  await api.call('POST', `/v1/tenant/${t}/timeline`, {
    body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
  });
  const origin = (await describeTenant(t)).shards[0]!.node_attached!;
  const dest = origin === 1 ? 2 : 1;
  // Downloads are paused (the reference uses a failpoint): the destination stays a Secondary.
  api.stack.fleet.byId(dest).faults.add({ path: 'secondary/download', hang: true, dropAfterMs: 500 });
  const migration = api.call('PUT', `/control/v1/tenant/${t}/migrate`, {
    body: {
      node_id: dest,
      origin_node_id: origin,
      migration_config: { prewarm: true, override_scheduler: true, secondary_download_request_timeout: '1s' },
    },
  });
  const deadline = Date.now() + 15_000;
  while (modesOf(dest, t)[0] !== 'Secondary') {
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 25));
  }
  // Warming: still attached at the origin, a reconcile (the migration) in flight.
  expect(modesOf(origin, t)).toEqual(['AttachedSingle']);
  expect((await describeTenant(t)).shards[0]!.is_reconciling).toBe(true);
  api.stack.fleet.byId(dest).faults.clear();
  const res = await migration;
  expect(res.status, res.text).toBe(200);
  expect(modesOf(dest, t)).toEqual(['AttachedSingle']);
  expect(modesOf(origin, t)).toEqual([]);
  expect((await describeTenant(t)).shards[0]).toMatchObject({ node_attached: dest, is_reconciling: false });
  expect(await reconcileUntilIdle()).toEqual([0]);
  await expectConsistent(api);
});

it('#50 Attached(0) graceful migration: it ends up only on the destination, AttachedSingle', async () => {
  api = await startTestApi({ pageservers: 3 });
  const t = randomTenantId();
  expect(
    (await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t, placement_policy: { Attached: 0 } } }))
      .status,
  ).toBe(201);
  const origin = (await describeTenant(t)).shards[0]!.node_attached!;
  const dest = [1, 2, 3].find((n) => n !== origin)!;
  const res = await api.call('PUT', `/control/v1/tenant/${t}/migrate`, {
    body: { node_id: dest, migration_config: { prewarm: true } },
  });
  expect(res.status, res.text).toBe(200);
  await reconcileUntilIdle();
  for (const n of [1, 2, 3]) expect(modesOf(n, t)).toEqual(n === dest ? ['AttachedSingle'] : []);
  expect((await describeTenant(t)).shards[0]).toMatchObject({ node_attached: dest, node_secondary: [] });
  await expectConsistent(api);
});

it('#19 (reconcile_all part): while the pageserver is down each pass retries and reports it; then it attaches', async () => {
  api = await startTestApi({ pageservers: 1 });
  api.stack.fleet.byId(1).faults.add({ path: 'location_config', status: 503 });
  const t = randomTenantId();
  expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } })).status).toBe(408);
  for (let pass = 0; pass < 2; pass++) {
    expect((await api.call('POST', '/debug/v1/reconcile_all')).body).toBe(1);
    expect((await describeTenant(t)).shards[0]!.last_error).toContain('503');
  }
  api.stack.fleet.byId(1).faults.clear();
  expect(await reconcileUntilIdle()).toEqual([1, 0]);
  expect(modesOf(1, t)).toEqual(['AttachedSingle']);
  expect((await describeTenant(t)).shards[0]!.last_error).toBe('');
  await expectConsistent(api);
});
