// Node lifecycle on the local stack (DynamoDB Local, simulated pageservers over HTTP, the real
// heartbeat task on its timer): a killed pageserver's tenants fail over and the compute hook is
// told, a restarted node warms up and becomes Active, overlapping heartbeat passes make one
// transition, and a deleted node is gone for good.
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatPass } from '../../lambdas/nodes/heartbeat';
import { waitUntil } from '../chaos/chaos-stack';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

interface NodeJson {
  id: number;
  availability: string;
  utilization: { shard_count?: number } | null;
}
interface DumpedShard {
  tenant_shard_id: string;
  intent: { attached: number | null; secondary: number[] };
  observed: { locations: Record<string, unknown> };
}

const nodes = async () => (await api.call('GET', '/control/v1/node')).body as NodeJson[];
const availabilityOf = async (id: number) => (await nodes()).find((n) => n.id === id)?.availability;
const t0 = Date.now();
const mark = (what: string) => process.env.NL_TRACE && console.log(`${Date.now() - t0} ms ${what}`);
const dump = async () => (await api.call('GET', '/debug/v1/tenant')).body as DumpedShard[];

async function createTenant(secondaries: number): Promise<{ id: string; node: number }> {
  const id = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', {
    body: { new_tenant_id: id, placement_policy: { Attached: secondaries } },
  });
  expect(res.status).toBe(201);
  return { id, node: (res.body as { shards: Array<{ node_id: number }> }).shards[0]!.node_id };
}

/** The compute hook's last word on a tenant: the node of its (only) shard. */
function lastNotified(tenantId: string): number | undefined {
  return api.stack.computeHook!.notifications.filter((n) => n.body.tenant_id === tenantId).at(-1)?.body
    .shards[0]?.node_id;
}

describe('heartbeats and failover', () => {
  it("fails a killed pageserver's tenants over (promoted or rescheduled) and tells the compute hook, within max-offline + one reconcile pass", async () => {
    api = await startTestApi({ pageservers: 3, heartbeatIntervalSeconds: 0.2, maxOfflineIntervalSeconds: 1 });
    mark('stack up');
    const withSecondary = await createTenant(1);
    // A second tenant on the same node, without a secondary: it is rescheduled.
    let single = await createTenant(0);
    for (let i = 0; i < 6 && single.node !== withSecondary.node; i++) single = await createTenant(0);
    expect(single.node).toBe(withSecondary.node);
    mark('tenants created');
    const victim = withSecondary.node;
    const secondary = (await dump()).find((s) => s.tenant_shard_id === withSecondary.id)!.intent.secondary[0];
    expect((await nodes()).every((n) => n.utilization !== null)).toBe(true);

    await api.stack.fleet.byId(victim).stop();
    mark('stopped');
    // The heartbeat timer notices; after max-offline of silence the node goes Offline.
    expect(await waitUntil(async () => (await availabilityOf(victim)) === 'Offline', 20_000, 100)).toBe(true);
    mark('offline');
    // The beat that made the transition is failing the node over: wait for it (a call joins the
    // beat in progress), then one reconcile pass.
    await api.stack.heartbeatNow();
    await api.stack.reconcileAllNow();
    mark('reconciled');

    const shards = await dump();
    const promoted = shards.find((s) => s.tenant_shard_id === withSecondary.id)!;
    expect(promoted.intent.attached).toBe(secondary);
    const moved = shards.find((s) => s.tenant_shard_id === single.id)!;
    expect(moved.intent.attached).not.toBe(victim);
    expect(moved.intent.attached).not.toBeNull();
    expect(lastNotified(withSecondary.id)).toBe(secondary);
    expect(lastNotified(single.id)).toBe(moved.intent.attached);
    expect(
      api.stack.fleet
        .byId(moved.intent.attached!)
        .locations()
        .map((l) => l.shard),
    ).toContain(single.id);

    // It comes back: re-attach, then Active, and it is not demoted into unavailability (nothing
    // it no longer holds is handed back; what it still holds as a secondary stays).
    await api.stack.fleet.byId(victim).start();
    await api.stack.fleet.byId(victim).waitUntilActive();
    mark('restarted');
    expect(await waitUntil(async () => (await availabilityOf(victim)) === 'Active', 20_000, 100)).toBe(true);
    await api.stack.reconcileAllNow();
    // Still attached and announced where it is attached: the optimizer may already have moved it
    // back to the returning node (by live migration), never to nowhere.
    const after = (await dump()).find((s) => s.tenant_shard_id === withSecondary.id)!;
    expect(after.intent.attached).not.toBeNull();
    expect(lastNotified(withSecondary.id)).toBe(after.intent.attached);
    await expectConsistent(api);
  }, 90_000);

  it('shows a restarted node WarmingUp (not schedulable, failures tolerated) until it answers, then Active', async () => {
    api = await startTestApi({
      pageservers: 2,
      heartbeatIntervalSeconds: 0.2,
      maxOfflineIntervalSeconds: 0.5,
      maxWarmingUpIntervalSeconds: 120,
    });
    const ps = api.stack.fleet.byId(2);
    ps.faults.add({ path: '^/v1/utilization$', status: 503 });
    await ps.restart();
    await ps.waitUntilActive();
    expect(await availabilityOf(2)).toBe('WarmingUp');
    // Well past max-offline, still WarmingUp: its warm-up is 120 s.
    await api.stack.heartbeatNow();
    await new Promise((r) => setTimeout(r, 1_000));
    await api.stack.heartbeatNow();
    expect(await availabilityOf(2)).toBe('WarmingUp');
    for (let i = 0; i < 4; i++) expect((await createTenant(0)).node).toBe(1);

    ps.faults.clear();
    // The re-attach's own heartbeat execution (every second) or the timer activates it.
    expect(await waitUntil(async () => (await availabilityOf(2)) === 'Active', 10_000, 50)).toBe(true);
    await expectConsistent(api);
  });

  it('lets two overlapping heartbeat passes make the Offline transition once', async () => {
    api = await startTestApi({ pageservers: 3 });
    const tenant = await createTenant(0);
    await api.stack.fleet.byId(tenant.node).stop();
    const settings = { intervalSeconds: 5, maxOfflineSeconds: 1, maxWarmingUpSeconds: 300 };
    let clock = Date.now();
    const pass = () =>
      heartbeatPass(api.stack.services, {
        settings,
        owner: 'test',
        now: () => clock,
        probe: { timeoutMs: 200, retries: 0 },
      });
    await pass();
    clock += 2_000;
    const [a, b] = await Promise.all([pass(), pass()]);
    const offline = [...a, ...b].filter((o) => o.node === tenant.node && o.transition === 'offline');
    expect(offline).toHaveLength(1);
    expect(await availabilityOf(tenant.node)).toBe('Offline');
    const shard = (await dump()).find((s) => s.tenant_shard_id === tenant.id)!;
    expect(shard.intent.attached).not.toBe(tenant.node);
    await expectConsistent(api);
  });
});

describe('DELETE /control/v1/node/:id', () => {
  it('reschedules every shard that refers to the node, removes it, and it stays gone after a restart', async () => {
    api = await startTestApi({ pageservers: 3 });
    const tenants = [];
    for (let i = 0; i < 6; i++) tenants.push(await createTenant(i % 2));
    const victim = 3;
    expect(
      (await dump()).some((s) => s.intent.attached === victim || s.intent.secondary.includes(victim)),
    ).toBe(true);
    // A decommissioned machine: its pageserver is gone first.
    await api.stack.fleet.byId(victim).stop();

    expect((await api.call('DELETE', '/control/v1/node/abc')).status).toBe(400);
    const res = await api.call('DELETE', `/control/v1/node/${victim}`);
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect((await api.call('DELETE', `/control/v1/node/${victim}`)).status).toBe(404);

    const check = async () => {
      expect((await nodes()).map((n) => n.id)).toEqual([1, 2]);
      for (const s of await dump()) {
        expect(s.intent.attached).not.toBe(victim);
        expect(s.intent.attached).not.toBeNull();
        expect(s.intent.secondary).not.toContain(victim);
        expect(Object.keys(s.observed.locations)).not.toContain(String(victim));
      }
    };
    await check();
    await api.stack.reconcileAllNow();
    for (const t of tenants) expect([1, 2]).toContain(lastNotified(t.id));
    await api.stack.restartController();
    await check();
    await expectConsistent(api);
  });

  it('lets a deleted node come back empty-handed: what its pageserver still holds is cleaned up', async () => {
    api = await startTestApi({ pageservers: 3 });
    const tenants = [];
    for (let i = 0; i < 4; i++) tenants.push(await createTenant(1));
    const victim = 2;
    const ps = api.stack.fleet.byId(victim);
    expect(ps.locations().length).toBeGreaterThan(0);
    await ps.stop();
    expect((await api.call('DELETE', `/control/v1/node/${victim}`)).status).toBe(200);
    const node = {
      node_id: victim,
      listen_http_addr: '127.0.0.1',
      listen_http_port: ps.port,
      listen_pg_addr: '127.0.0.1',
      listen_pg_port: ps.port,
    };
    expect((await api.call('POST', '/control/v1/node', { body: node })).status).toBe(200);
    await ps.start();
    await ps.waitUntilActive();
    // Half the tenants are deleted before anything looked at the returning node.
    for (const t of tenants.slice(0, 2))
      expect((await api.call('DELETE', `/v1/tenant/${t.id}`)).status).toBe(200);
    await api.stack.reconcileAllNow();
    await api.stack.reconcileAllNow();
    const known = new Set((await dump()).map((s) => s.tenant_shard_id));
    for (const { shard } of ps.locations()) expect(known.has(shard), shard).toBe(true);
    await expectConsistent(api);
  });
});
