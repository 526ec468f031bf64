// The shard-split workflow: the real ASL file, the real task handlers, the simulated
// pageservers; a fault injected at each step must abort cleanly and orphan nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { RejectedError } from '../../lambdas/core/workflow-errors';
import type { LocalWorkflowRunner } from '../../local/workflow-runner';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const { hooks, wrapTask, reset } = taskHooks();

async function start(pageservers: number) {
  reset();
  // Short pageserver deadlines so that a hung pageserver costs a test about a second.
  api = await startTestApi({
    pageservers,
    pageserverTimeoutMs: 1000,
    workflowOptions: { retryIntervalMs: 10, wrapTask },
  });
}

async function create(count: number, stripe = 128): Promise<string> {
  const t = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', {
    body: { new_tenant_id: t, shard_parameters: { count, stripe_size: stripe } },
  });
  expect(res.status, res.text).toBe(201);
  return t;
}

const split = (t: string, count: number) =>
  api.call('PUT', `/control/v1/tenant/${t}/shard_split`, { body: { new_shard_count: count } });
const holdings = () =>
  api.stack.fleet.pageservers.map((p) =>
    p
      .locations()
      .map((l) => l.shard)
      .sort(),
  );
const locate = async (t: string) =>
  (
    (await api.call('GET', `/control/v1/tenant/${t}/locate`)).body as {
      shards: Array<{ shard_id: string; node_id: number }>;
    }
  ).shards;

describe('shard split', () => {
  it('splits unsharded → 2 → 4 in place, and a repeat returns the same shards (§11.11)', async () => {
    await start(1);
    const t = await create(0);
    await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
    });
    const two = await split(t, 2);
    expect(two).toMatchObject({ status: 200, body: { new_shards: [`${t}-0002`, `${t}-0102`] } });
    expect(
      (await api.call('POST', '/debug/v1/inspect', { body: { tenant_shard_id: `${t}-0102` } })).body,
    ).toEqual({ attachment: [1, 1] });
    const four = await split(t, 4);
    expect((four.body as { new_shards: string[] }).new_shards.sort()).toEqual([
      `${t}-0004`,
      `${t}-0104`,
      `${t}-0204`,
      `${t}-0304`,
    ]);
    expect(holdings()).toEqual([[`${t}-0004`, `${t}-0104`, `${t}-0204`, `${t}-0304`]]);
    expect((await split(t, 4)).body).toEqual(four.body);
    expect((await api.call('GET', `/v1/tenant/${t}/timeline`)).body).toHaveLength(1);
    const described = (await api.call('GET', `/control/v1/tenant/${t}`)).body as { shards: unknown[] };
    expect(described.shards).toHaveLength(4);
    await expectConsistent(api);
  });

  it('keeps the children on their parents’ pageservers, 4 → 8 (§11.12)', async () => {
    await start(8);
    const t = await create(4);
    const before = await locate(t);
    expect(new Set(before.map((s) => s.node_id)).size).toBe(4);
    expect((await split(t, 8)).status).toBe(200);
    const after = await locate(t);
    expect(after).toHaveLength(8);
    const nodes = new Set(before.map((s) => s.node_id));
    for (const s of after) expect(nodes.has(s.node_id)).toBe(true);
    for (const n of nodes) expect(after.filter((s) => s.node_id === n)).toHaveLength(2);
    const hook = api.stack.computeHook!;
    await hook.waitFor((all) => all.some((n) => n.body.shards.length === 8));
    await expectConsistent(api);
    const runner = api.stack.services.workflows as LocalWorkflowRunner;
    const executions = await runner.list({ limit: 10 });
    expect(executions[0]).toMatchObject({ workflow: 'shard-split', status: 'SUCCEEDED' });
    expect(executions[0]?.name).toMatch(new RegExp(`^split-${t}-8-`));
  });

  it('refuses lower counts, unknown tenants and non-power-of-two ratios at once', async () => {
    await start(1);
    const t = await create(2);
    expect((await split(t, 1)).status).toBe(400);
    expect((await split(t, 6)).status).toBe(400);
    expect((await split(randomTenantId(), 4)).status).toBe(404);
    const executions = (await api.call('GET', '/debug/v1/workflows')).body as Array<{ workflow: string }>;
    expect(executions.filter((e) => e.workflow === 'shard-split')).toEqual([]);
  });
});

describe('shard split faults', () => {
  async function expectUnsplit(t: string, count: number) {
    const shards = await locate(t);
    expect(shards).toHaveLength(count);
    for (const s of shards)
      expect(s.shard_id.endsWith(`0${count}`) || count === 0 || s.shard_id.length === 32).toBe(true);
    // The tenant works as before: a timeline can be created on every shard.
    const res = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: 'ab200bd42b49cc1814412c7e592dd6e9' },
    });
    expect(res.status, res.text).toBe(201);
    // Nothing orphaned: pageservers hold exactly the tenant's shards.
    expect(holdings().flat().sort()).toEqual(shards.map((s) => s.shard_id).sort());
    await expectConsistent(api);
  }

  it('aborts when a pageserver refuses the split', async () => {
    await start(2);
    const t = await create(2);
    for (const ps of api.stack.fleet.pageservers)
      ps.faults.add({ path: 'shard_split', status: 500, count: 1 });
    const res = await split(t, 4);
    expect(res.status).toBe(409);
    expect((res.body as { msg: string }).msg).toMatch(/Failed to split/);
    await expectUnsplit(t, 2);
  });

  it('retries a transient pageserver failure and succeeds', async () => {
    await start(1);
    const t = await create(2);
    api.stack.fleet.byId(1).faults.add({ path: 'shard_split', status: 503, count: 1 });
    expect((await split(t, 4)).status).toBe(200);
    expect(holdings()[0]).toHaveLength(4);
    await expectConsistent(api);
  });

  for (const step of ['BeginSplit', 'SplitParent', 'CommitSplit'] as const) {
    it(`survives ${step} throwing after doing its work (re-run)`, async () => {
      await start(2);
      const t = await create(2);
      let thrown = false;
      hooks[step] = async (_input, run) => {
        const out = await run();
        if (!thrown) {
          thrown = true;
          throw new Error(`${step} crashed after its work`);
        }
        return out;
      };
      const res = await split(t, 4);
      expect(res.status, res.text).toBe(200);
      expect(thrown).toBe(true);
      expect(await locate(t)).toHaveLength(4);
      await expectConsistent(api);
    });
  }

  it('aborts cleanly when the commit keeps failing after the pageservers split', async () => {
    await start(2);
    const t = await create(2);
    hooks.CommitSplit = async () => {
      throw new RejectedError('commit refused');
    };
    const res = await split(t, 4);
    expect(res.status).toBe(400);
    await expectUnsplit(t, 2);
  });

  it('answers 503 to tenant and timeline operations while splitting', async () => {
    await start(1);
    const t = await create(0);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inSplit = new Promise<void>((r) => {
      entered = r;
    });
    hooks.SplitParent = async (_input, run) => {
      entered();
      await gate;
      return run();
    };
    const pending = split(t, 2);
    await inSplit;
    const during = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
    });
    expect(during).toMatchObject({ status: 503, body: { msg: 'Tenant shards are currently splitting' } });
    expect((await api.call('DELETE', `/v1/tenant/${t}`)).status).toBe(503);
    expect(
      (await api.call('PUT', `/control/v1/tenant/${t}/policy`, { body: { placement: 'Detached' } })).status,
    ).toBe(503);
    release();
    expect((await pending).status).toBe(200);
  });

  it('retries a split past a pageserver that hangs once', async () => {
    await start(1);
    const t = await create(2);
    api.stack.fleet.byId(1).faults.add({ path: 'shard_split', hang: true, count: 1 });
    const res = await split(t, 4);
    expect(res.status, res.text).toBe(200);
    expect(holdings()[0]).toHaveLength(4);
    await expectConsistent(api);
  });

  it('aborts cleanly when a pageserver hangs on every attempt', async () => {
    await start(2);
    const t = await create(2);
    api.stack.fleet.byId(2).faults.add({ path: 'shard_split', hang: true });
    const res = await split(t, 4);
    expect(res.status, res.text).toBe(409);
    api.stack.fleet.byId(2).faults.clear();
    await expectUnsplit(t, 2);
  }, 30_000);

  it('finishes the split with the compute hook down, and notifies once it recovers', async () => {
    await start(1);
    const t = await create(2);
    const hook = api.stack.computeHook!;
    hook.faults.add({ status: 503 });
    expect((await split(t, 4)).status).toBe(200);
    const described = (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
      shards: Array<{ is_pending_compute_notification: boolean }>;
    };
    expect(described.shards.every((s) => s.is_pending_compute_notification)).toBe(true);
    hook.faults.clear();
    await api.stack.reconcileAllNow();
    await hook.waitFor((all) => all.some((n) => n.body.shards.length === 4));
    await expectConsistent(api);
  }, 30_000);
});
