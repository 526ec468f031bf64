// Issue 12's cases, each reproduced alone on the local stack: generation safety, nothing wedged,
// no acknowledged update lost.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

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
    await create(t);
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
