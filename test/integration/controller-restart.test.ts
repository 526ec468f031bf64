// The controller keeps no state of its own: a restart is a fresh API over the same table, then
// startup reconciliation against the pageservers (reference §11.2, 11.4-11.6 restart parts).
import { afterEach, describe, expect, it } from 'vitest';
import { startWarmUp } from '../../lambdas/nodes/set-availability';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

describe('controller restart', () => {
  it('marks a silent pageserver Offline, keeps both nodes, and places new tenants on the live one (§11.2)', async () => {
    api = await startTestApi({ pageservers: 2 });
    await api.stack.fleet.byId(2).stop();
    await api.stack.restartController();
    expect((await api.call('GET', '/ready')).status).toBe(200);
    expect(api.stack.startup.offline).toEqual([2]);
    const nodes = (await api.call('GET', '/control/v1/node')).body as Array<{
      id: number;
      availability: string;
    }>;
    expect(nodes.map((n) => [n.id, n.availability])).toEqual([
      [1, 'Active'],
      [2, 'Offline'],
    ]);
    const t = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(res.status).toBe(201);
    expect((res.body as { shards: Array<{ node_id: number }> }).shards[0]?.node_id).toBe(1);
    await expectConsistent(api);
  });

  it('gets ready without waiting for a pageserver still re-attaching, and leaves it to its re-attach, not Offline', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } })).status).toBe(201);
    // Node 2's pageserver restarts and has called re-attach (WarmingUp from then on); it serves no
    // HTTP until the answer arrives, which a whole-fleet restart of thousands of shards delays.
    const ps = api.stack.fleet.byId(2);
    await ps.stop();
    await startWarmUp(api.stack.services.nodes, 2, Date.now());
    await api.stack.restartController();
    expect((await api.call('GET', '/ready')).status).toBe(200);
    expect(api.stack.startup.offline).toEqual([]);
    expect(api.stack.startup.responsive).toEqual([1, 2]);
    expect((await api.stack.services.nodes.get(2))?.availability).toBe('WarmingUp');
    await ps.start();
    await ps.waitUntilActive();
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  });

  it('keeps detached tenants detached and attached ones attached across restarts (§11.4)', async () => {
    api = await startTestApi({ pageservers: 1 });
    const a = randomTenantId();
    const b = randomTenantId();
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: a } });
    await api.call('PUT', `/v1/tenant/${a}/location_config`, {
      body: { tenant_id: a, mode: 'Detached', tenant_conf: {} },
    });
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: b } });
    await api.stack.restartController();
    const ps = api.stack.fleet.byId(1);
    expect(ps.locations().map((l) => l.shard)).toEqual([b]);
    await ps.restart();
    await ps.waitUntilActive();
    expect(ps.locations().map((l) => l.shard)).toEqual([b]);
    await expectConsistent(api);
  });

  it('re-announces stably attached tenants to the compute hook (§11.6)', async () => {
    api = await startTestApi({ pageservers: 2 });
    const hook = api.stack.computeHook!;
    const t = randomTenantId();
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    await hook.waitFor((all) => all.length === 1);
    await api.stack.restartController();
    await hook.waitFor((all) => all.length === 2);
    expect(hook.notifications[1]?.body).toEqual(hook.notifications[0]?.body);
    expect(api.stack.startup.notified).toBe(1);
  });

  it('keeps an imported tenant in its generation across a controller and a pageserver restart (§11.5)', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = randomTenantId();
    await api.call('PUT', `/v1/tenant/${t}/location_config`, {
      body: { tenant_id: t, mode: 'AttachedMulti', generation: 124, tenant_conf: {} },
    });
    await api.stack.restartController();
    const ps = api.stack.fleet.byId(1);
    expect(ps.locations()[0]?.conf.generation).toBe(125);
    await ps.restart();
    await ps.waitUntilActive();
    expect(ps.locations()[0]?.conf).toMatchObject({ mode: 'AttachedSingle', generation: 126 });
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  });

  it('detaches locations the controller does not know', async () => {
    api = await startTestApi({ pageservers: 1 });
    const ps = api.stack.fleet.byId(1);
    const stray = randomTenantId();
    await fetch(`${ps.baseUrl}/v1/tenant/${stray}/location_config`, {
      method: 'PUT',
      body: JSON.stringify({ tenant_id: stray, mode: 'AttachedSingle', generation: 7, tenant_conf: {} }),
    });
    await api.stack.restartController();
    expect(api.stack.startup.unknown).toEqual([{ shard: stray, node: 1 }]);
    // The cleanup is an execution of its own, started by the startup workflow.
    for (let i = 0; i < 100 && ps.locations().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ps.locations()).toEqual([]);
    const executions = (await api.call('GET', '/debug/v1/workflows')).body as Array<{
      workflow: string;
      status: string;
    }>;
    expect(executions.map((e) => e.workflow)).toContain('startup-cleanup');
  });

  it('finishes startup when a pageserver hangs, marking it Offline (5 s listing timeout)', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    api.stack.fleet.byId(1).faults.add({ path: 'location_config', hang: true });
    await api.stack.restartController();
    expect(api.stack.startup.offline).toEqual([1]);
    expect(api.stack.startup.responsive).toEqual([2]);
    // its tenant moved to the live node
    const located = (await api.call('GET', `/control/v1/tenant/${t}/locate`)).body as {
      shards: Array<{ node_id: number }>;
    };
    expect(located.shards[0]?.node_id).toBe(2);
    api.stack.fleet.byId(1).faults.clear();
  }, 30_000);

  it('asks a node again before marking it Offline: lost listing answers and short hangs move nothing', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    const holder = api.stack.fleet.pageservers.find((p) => p.locations().some((l) => l.shard === t))!;
    // More silent answers than one call's retries absorb, within the scan's 5 s.
    holder.faults.add({ path: 'location_config', applyThenDrop: true, count: 2 });
    holder.faults.add({ path: 'location_config', hang: true, dropAfterMs: 300, count: 2 });
    await api.stack.restartController();
    expect(api.stack.startup.offline).toEqual([]);
    const located = (await api.call('GET', `/control/v1/tenant/${t}/locate`)).body as {
      shards: Array<{ node_id: number }>;
    };
    expect(located.shards[0]?.node_id).toBe(holder.nodeId);
    expect(api.stack.fleet.safetyViolations()).toEqual([]);
    await expectConsistent(api);
  });

  it('runs startup reconciliation on demand without losing readiness', async () => {
    api = await startTestApi({ pageservers: 1 });
    const res = await api.call('POST', '/debug/v1/startup_reconcile');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'SUCCEEDED' });
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });

  it('gives shards left without an attached node one at startup, preferring where they already live', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    // Forget the attachment (as a node drop and re-register would), while node 1 still holds it.
    const shard = (await api.stack.services.tenants.getShard({ tenantId: t, number: 0, count: 0 }))!;
    await api.stack.services.tenants.saveShards([
      { before: shard, after: { ...shard, intent: { attached: null, secondary: [] } } },
    ]);
    await api.stack.restartController();
    const located = (await api.call('GET', `/control/v1/tenant/${t}/locate`)).body as {
      shards: Array<{ node_id: number }>;
    };
    expect(located.shards[0]?.node_id).toBe(shard.intent.attached);
    await expectConsistent(api);
  });
});
