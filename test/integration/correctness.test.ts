// Issue 12's cases, each reproduced alone on the local stack: generation safety, nothing wedged,
// no acknowledged update lost.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { plantSecondary } from '../support/plant-location';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

type Described = {
  policy: unknown;
  shards: Array<{ tenant_shard_id: string; node_attached: number | null; node_secondary: number[] }>;
};

async function describeTenant(t: string): Promise<Described> {
  const res = await api.call('GET', `/control/v1/tenant/${t}`);
  expect(res.status, res.text).toBe(200);
  return res.body as Described;
}

async function create(t: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t, ...body } });
  expect(res.status, res.text).toBe(201);
}

const TIMELINE = 'de200bd42b49cc1814412c7e592dd6e9';

describe('nothing stays wedged', () => {
  it('attaches a tenant created while its only node was down once the node is back (re-attach records only known locations)', async () => {
    api = await startTestApi({ pageservers: 1, pageserverTimeoutMs: 1_000 });
    const ps = api.stack.fleet.byId(1);
    await ps.stop();
    const t = randomTenantId();
    // Not reached within the budget: 408, as the reference; the tenant is kept.
    const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
    expect(res.status, res.text).toBe(408);
    await ps.start();
    await ps.waitUntilActive();
    await api.stack.reconcileAllNow();
    expect(ps.locations().map((l) => [l.shard, l.conf.mode])).toEqual([[t, 'AttachedSingle']]);
    const timeline = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: TIMELINE },
    });
    expect(timeline.status, timeline.text).toBe(201);
    await expectConsistent(api);
  });

  it('keeps the attachment of a lone node marked Offline, so the tenant works again when it returns', async () => {
    api = await startTestApi({ pageservers: 1, pageserverTimeoutMs: 1_000 });
    const ps = api.stack.fleet.byId(1);
    const t = randomTenantId();
    await create(t, { placement_policy: { Attached: 0 } });
    await ps.stop();
    const offline = await api.call('PUT', '/control/v1/node/1/config', {
      body: { node_id: 1, availability: 'Offline' },
    });
    expect(offline.status, offline.text).toBe(200);
    expect((await describeTenant(t)).shards[0]?.node_attached).toBe(1);
    await ps.start();
    await ps.waitUntilActive();
    await api.stack.reconcileAllNow();
    expect((await describeTenant(t)).shards[0]).toMatchObject({ node_attached: 1, node_secondary: [] });
    expect((await api.call('GET', `/control/v1/tenant/${t}/locate`)).status).toBe(200);
    const timeline = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: TIMELINE },
    });
    expect(timeline.status, timeline.text).toBe(201);
    await expectConsistent(api);
  });
});

describe('no acknowledged update is lost', () => {
  it('keeps a policy change answered 200 when a location_config runs at the same time', async () => {
    api = await startTestApi({ pageservers: 3 });
    for (let round = 0; round < 6; round++) {
      const t = randomTenantId();
      await create(t, { placement_policy: { Attached: 1 } });
      const [policy, location] = await Promise.all([
        api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: { Attached: 0 } } }),
        api.call('PUT', `/v1/tenant/${t}/location_config`, {
          body: { tenant_id: t, mode: 'AttachedSingle', generation: 1, tenant_conf: {} },
        }),
      ]);
      expect(policy.status, policy.text).toBe(200);
      expect(location.status, location.text).toBe(200);
      expect((await describeTenant(t)).policy, `round ${round}`).toEqual({ Attached: 0 });
    }
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  });
});

describe('shard split stripe size', () => {
  it('sends new_stripe_size to the pageserver, so its children use the stripe computes are told', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = randomTenantId();
    await create(t);
    const split = await api.call('PUT', `/control/v1/tenant/${t}/shard_split`, {
      body: { new_shard_count: 2, new_stripe_size: 2048 },
    });
    expect(split.status, split.text).toBe(200);
    const held = api.stack.fleet.byId(1).locations();
    expect(held.map((l) => l.conf.shard_stripe_size)).toEqual([2048, 2048]);
    const hook = api.stack.computeHook!;
    await hook.waitFor((all) => all.some((n) => n.body.shards.length === 2));
    expect(hook.notifications.at(-1)?.body.stripe_size).toBe(2048);
    await expectConsistent(api);
  });

  it('refuses a stripe change on a tenant that already has several shards, changing nothing', async () => {
    api = await startTestApi({ pageservers: 1 });
    const t = randomTenantId();
    await create(t, { shard_parameters: { count: 2, stripe_size: 32768 } });
    const split = await api.call('PUT', `/control/v1/tenant/${t}/shard_split`, {
      body: { new_shard_count: 4, new_stripe_size: 2048 },
    });
    expect(split.status, split.text).toBe(400);
    expect((split.body as { msg: string }).msg).toMatch(/stripe size/);
    expect((await describeTenant(t)).shards).toHaveLength(2);
    await expectConsistent(api);
  });
});

describe('tenant delete and orphans', () => {
  it('answers 503, not 500, when a pageserver cannot be reached, and deletes once it is back', async () => {
    api = await startTestApi({ pageservers: 1, pageserverTimeoutMs: 1_000 });
    const t = randomTenantId();
    await create(t);
    const ps = api.stack.fleet.byId(1);
    await ps.stop();
    const refused = await api.call('DELETE', `/v1/tenant/${t}`);
    expect(refused.status, refused.text).toBe(503);
    expect((await api.call('GET', `/control/v1/tenant/${t}`)).status).toBe(200);
    await ps.start();
    await ps.waitUntilActive();
    const deleted = await api.call('DELETE', `/v1/tenant/${t}`);
    expect(deleted.status, deleted.text).toBe(200);
    expect(ps.locations()).toEqual([]);
    await expectConsistent(api);
  });

  it('leaves no location behind: secondaries and locations not in the intent are detached too', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = randomTenantId();
    await create(t, { placement_policy: { Attached: 1 } });
    // A location the controller knows of (observed) but no longer intends: a migration away
    // leaves the origin a secondary; lowering the policy while that node fails leaves it behind.
    const before = await describeTenant(t);
    const secondary = before.shards[0]!.node_secondary[0]!;
    api.stack.fleet.byId(secondary).faults.add({ path: 'location_config', status: 500, count: 100 });
    const lowered = await api.call('PUT', `/control/v1/tenant/${t}/policy`, {
      body: { placement: { Attached: 0 } },
    });
    expect(lowered.status, lowered.text).toBe(200);
    expect(
      api.stack.fleet
        .byId(secondary)
        .locations()
        .map((l) => l.shard),
    ).toEqual([t]);
    // While that node refuses, the delete cannot finish: it says so instead of leaving it.
    const busy = await api.call('DELETE', `/v1/tenant/${t}`);
    expect(busy.status, busy.text).toBe(503);
    api.stack.fleet.byId(secondary).faults.clear();
    const deleted = await api.call('DELETE', `/v1/tenant/${t}`);
    expect(deleted.status, deleted.text).toBe(200);
    for (const ps of api.stack.fleet.pageservers) expect(ps.locations(), `node ${ps.nodeId}`).toEqual([]);
    await expectConsistent(api);
  });

  it('reports a location no tenant has as an orphan in the consistency check', async () => {
    api = await startTestApi({ pageservers: 1 });
    const stray = randomTenantId();
    await plantSecondary(api.stack.fleet.byId(1).baseUrl, stray);
    const check = await api.call('POST', '/debug/v1/consistency_check');
    expect(check.status).toBe(500);
    expect((check.body as { msg: string }).msg).toContain(`node 1 holds ${stray}`);
  });
});

describe('concurrent mutations', () => {
  it('keeps every 2xx outcome of 50 concurrent mutating requests on one tenant', {
    timeout: 180_000,
  }, async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = randomTenantId();
    await create(t, {
      shard_parameters: { count: 2, stripe_size: 32768 },
      placement_policy: { Attached: 1 },
    });
    const policies = [{ Attached: 0 }, { Attached: 1 }];
    const requests = Array.from({ length: 50 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return {
            kind: 'policy',
            i,
            send: () =>
              api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: policies[i % 2] } }),
          };
        case 1:
          return {
            kind: 'location',
            i,
            send: () =>
              api.call('PUT', `/v1/tenant/${t}/location_config`, {
                body: { tenant_id: t, mode: 'AttachedSingle', generation: 1, tenant_conf: {} },
              }),
          };
        case 2:
          return {
            kind: 'timeline',
            i,
            timeline: `${String(i).padStart(2, '0')}${'0'.repeat(30)}`,
            send() {
              return api.call('POST', `/v1/tenant/${t}/timeline`, {
                body: { new_timeline_id: this.timeline },
              });
            },
          };
        default:
          return {
            kind: 'migrate',
            i,
            send: () =>
              api.call('PUT', `/control/v1/tenant/${t}-${i % 2 === 0 ? '0002' : '0102'}/migrate`, {
                body: { node_id: (i % 3) + 1 },
              }),
          };
      }
    });
    const answers = await Promise.all(requests.map(async (r) => ({ ...r, res: await r.send() })));
    for (const a of answers) {
      // Refusals are honest ones (busy, retry later, conflict), never a server error.
      expect([200, 201, 202, 409, 503], `${a.kind} #${a.i}: ${a.res.text}`).toContain(a.res.status);
    }
    await api.stack.reconcileAllNow();
    await api.stack.reconcileAllNow();
    const timelines = (await api.call('GET', `/v1/tenant/${t}/timeline`)).body as Array<{
      timeline_id: string;
    }>;
    const have = new Set(timelines.map((tl) => tl.timeline_id));
    for (const a of answers.filter((x) => x.kind === 'timeline' && x.res.status === 201))
      expect(have.has((a as { timeline: string }).timeline), `timeline #${a.i}`).toBe(true);
    const accepted = answers.filter((a) => a.kind === 'policy' && a.res.status === 200);
    expect(accepted.length).toBeGreaterThan(0);
    // The final policy is one that some acknowledged request set (location_config keeps it).
    expect(accepted.map((a) => JSON.stringify(policies[a.i % 2]))).toContain(
      JSON.stringify((await describeTenant(t)).policy),
    );
    await expectConsistent(api);
  });
});

describe('secondaries are kept', () => {
  it('gives the children of an Attached(1) split their secondaries, and leaves no parent location behind', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = randomTenantId();
    await create(t, { placement_policy: { Attached: 1 } });
    const split = await api.call('PUT', `/control/v1/tenant/${t}/shard_split`, {
      body: { new_shard_count: 2 },
    });
    expect(split.status, split.text).toBe(200);
    await api.stack.reconcileAllNow();
    const after = await describeTenant(t);
    expect(after.shards).toHaveLength(2);
    for (const shard of after.shards) expect(shard.node_secondary, shard.tenant_shard_id).toHaveLength(1);
    const held = api.stack.fleet.pageservers.flatMap((p) => p.locations().map((l) => l.shard));
    expect(held).not.toContain(t);
    expect(held.sort()).toEqual([`${t}-0002`, `${t}-0002`, `${t}-0102`, `${t}-0102`]);
    await expectConsistent(api);
  });

  it('leaves no parent secondary behind when detaching it fails at first (the split retries it)', async () => {
    api = await startTestApi({ pageservers: 3 });
    const t = randomTenantId();
    await create(t, { placement_policy: { Attached: 1 } });
    const secondary = (await describeTenant(t)).shards[0]!.node_secondary[0]!;
    api.stack.fleet.byId(secondary).faults.add({ path: 'location_config', status: 500, count: 2 });
    const split = await api.call('PUT', `/control/v1/tenant/${t}/shard_split`, {
      body: { new_shard_count: 2 },
    });
    expect(split.status, split.text).toBe(200);
    await api.stack.reconcileAllNow();
    const held = api.stack.fleet.pageservers.flatMap((p) => p.locations().map((l) => l.shard));
    expect(held).not.toContain(t);
    await expectConsistent(api);
  });

  it('keeps the secondary of an Attached(1) shard when its migration aborts', async () => {
    api = await startTestApi({ pageservers: 3, pageserverTimeoutMs: 1_000 });
    const t = randomTenantId();
    await create(t, { placement_policy: { Attached: 1 } });
    const before = (await describeTenant(t)).shards[0]!;
    const target = [1, 2, 3].find((n) => n !== before.node_attached && !before.node_secondary.includes(n))!;
    // The destination refuses the attach: the migration aborts.
    api.stack.fleet.byId(target).faults.add({ path: 'location_config', status: 400, count: 100 });
    const migrated = await api.call('PUT', `/control/v1/tenant/${t}/migrate`, { body: { node_id: target } });
    expect(migrated.status, migrated.text).toBe(409);
    api.stack.fleet.byId(target).faults.clear();
    await api.stack.reconcileAllNow();
    const after = (await describeTenant(t)).shards[0]!;
    expect(after.node_attached).not.toBeNull();
    expect(after.node_secondary).toHaveLength(1);
    const holders = api.stack.fleet.pageservers.filter((p) => p.locations().some((l) => l.shard === t));
    expect(holders).toHaveLength(2);
    await expectConsistent(api);
  });
});

describe('startup scan', () => {
  it('keeps a node that answers its listing with an error Active: only silence makes a node Offline', async () => {
    api = await startTestApi({ pageservers: 2 });
    const t = randomTenantId();
    await create(t);
    const holder = (await describeTenant(t)).shards[0]!.node_attached!;
    api.stack.fleet.byId(holder).faults.add({ method: 'GET', path: 'location_config', status: 500 });
    await api.stack.restartController();
    expect(api.stack.startup.offline).toEqual([]);
    const nodes = (await api.call('GET', '/control/v1/node')).body as Array<{
      id: number;
      availability: string;
    }>;
    expect(nodes.find((n) => n.id === holder)?.availability).toBe('Active');
    expect((await describeTenant(t)).shards[0]?.node_attached).toBe(holder);
    api.stack.fleet.byId(holder).faults.clear();
    await expectConsistent(api);
  });
});
