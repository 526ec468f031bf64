// Drain, fill, cancel and graceful delete through the routes, the real drain-fill ASL file and
// its tasks, against simulated pageservers on DynamoDB Local.
import { afterEach, describe, expect, it } from 'vitest';
import { isBalanced } from '../../lambdas/core/drain-fill-plan';
import { expectConsistent, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';
import {
  attachedPerNode,
  availabilitySampler,
  createTenants,
  nodes,
  scheduling,
  shardIdsOf,
  start,
  untilAvailable,
  waitForOperation,
} from './drain-fill/drain-fill-support';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const { hooks, wrapTask, reset } = taskHooks();

async function startStack(pageservers: number) {
  reset();
  api = await startTestApi({ pageservers, workflowOptions: { retryIntervalMs: 10, wrapTask } });
}

/**
 * Holds every move until `release` is called, so an operation stays running: before the move
 * begins, or (`leased`) once it has taken its shard's lease.
 */
function holdMoves(leased = false) {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  hooks.BeginMigration = async (_input, run) => {
    if (leased) {
      const began = await run();
      await gate;
      return began;
    }
    await gate;
    return run();
  };
  return () => release();
}

describe('drain and fill', () => {
  it('drains 100 shards to PauseForRestart with 0 attached, no shard ever without an attached location; fill rebalances within 5 %', async () => {
    await startStack(3);
    const tenants = await createTenants(api, 25, 4, 1);
    const shards = shardIdsOf(tenants, 4);
    const before = await attachedPerNode(api);
    expect(before.get(1)).toBeGreaterThan(20);
    const sampler = availabilitySampler(api.stack.fleet, shards);
    const execution = await start(api, '/control/v1/node/1/drain');
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    const sampled = sampler.stop();
    expect(sampled.samples).toBeGreaterThan(0);
    expect(sampled.gapSamples, JSON.stringify(sampled)).toBe(0);
    expect(await scheduling(api, 1)).toBe('PauseForRestart');
    const drained = await attachedPerNode(api);
    expect(drained.get(1)).toBe(0);
    expect([...drained.values()].reduce((a, b) => a + b, 0)).toBe(100);
    await expectConsistent(api);

    // The pageserver restarts: re-attach makes the node Active again (D6), then a fill.
    await api.stack.fleet.byId(1).restart();
    await api.stack.fleet.byId(1).waitUntilActive();
    expect(await scheduling(api, 1)).toBe('Active');
    await untilAvailable(api, 1);
    const fill = await start(api, '/control/v1/node/1/fill');
    expect(await waitForOperation(api, fill)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, 1)).toBe('Active');
    const filled = [...(await attachedPerNode(api)).values()];
    expect(filled.reduce((a, b) => a + b, 0)).toBe(100);
    expect(isBalanced(filled), JSON.stringify(filled)).toBe(true);
    expect(Math.min(...filled)).toBeGreaterThanOrEqual(32);
    await expectConsistent(api);
  }, 180_000);

  it('skips a shard whose secondary lags more than max-secondary-lag-bytes, and moves it once warm (D4)', async () => {
    await startStack(2);
    const [t] = await createTenants(api, 1, 0, 1);
    const described = (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
      shards: Array<{ node_attached: number; node_secondary: number[] }>;
    };
    const origin = described.shards[0]!.node_attached;
    const secondary = described.shards[0]!.node_secondary[0]!;
    api.stack.fleet.byId(secondary).state.secondaryLag.set(t!, 512 * 1024 * 1024);
    const first = await start(api, `/control/v1/node/${origin}/drain`);
    expect(await waitForOperation(api, first)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, origin)).toBe('PauseForRestart');
    expect((await attachedPerNode(api)).get(origin)).toBe(1);

    api.stack.fleet.byId(secondary).state.secondaryLag.set(t!, 0);
    await api.call('PUT', `/control/v1/node/${origin}/config`, {
      body: { node_id: origin, scheduling: 'Active' },
    });
    const second = await start(api, `/control/v1/node/${origin}/drain`);
    expect(await waitForOperation(api, second)).toMatch(/^SUCCEEDED/);
    expect((await attachedPerNode(api)).get(origin)).toBe(0);
    expect((await attachedPerNode(api)).get(secondary)).toBe(1);
    await expectConsistent(api);
  });

  it('leaves pinned shards (Pause, Stop) where they are (D5)', async () => {
    await startStack(2);
    const [pinned, free] = await createTenants(api, 2, 0, 0);
    const home = (id: string) =>
      api.stack.fleet.pageservers.find((p) => p.locations().some((l) => l.shard === id))!.nodeId;
    // Both on one node, so the drain has something to move and something to leave.
    if (home(free!) !== home(pinned!))
      await api.call('PUT', `/control/v1/tenant/${free}/migrate`, { body: { node_id: home(pinned!) } });
    const node = home(pinned!);
    const res = await api.call('PUT', `/control/v1/tenant/${pinned}/policy`, {
      body: { scheduling: 'Pause' },
    });
    expect(res.status, res.text).toBe(200);
    const execution = await start(api, `/control/v1/node/${node}/drain`);
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect(home(pinned!)).toBe(node);
    expect(home(free!)).not.toBe(node);
    expect(await scheduling(api, node)).toBe('PauseForRestart');
  });
});

describe('cancel', () => {
  it('returns a draining node to Active', async () => {
    await startStack(2);
    await createTenants(api, 6, 0, 0);
    const release = holdMoves();
    const execution = await start(api, '/control/v1/node/1/drain');
    expect(await scheduling(api, 1)).toBe('Draining');
    const cancelling = api.call('DELETE', '/control/v1/node/1/drain');
    // The held round ends once released; the next round sees the cancel.
    await new Promise((r) => setTimeout(r, 200));
    release();
    const res = await cancelling;
    expect([200, 202], res.text).toContain(res.status);
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, 1)).toBe('Active');
    expect((await api.call('DELETE', '/control/v1/node/1/drain')).status).toBe(412);
    await expectConsistent(api);
  });

  it('cancels a fill', async () => {
    await startStack(2);
    await createTenants(api, 6, 0, 0);
    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Pause' } });
    // All on node 1 now? Move whatever is on 2 to 1, then let 2 fill.
    for (const ps of api.stack.fleet.byId(2).locations())
      await api.call('PUT', `/control/v1/tenant/${ps.shard}/migrate`, { body: { node_id: 1 } });
    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Active' } });
    const release = holdMoves();
    const execution = await start(api, '/control/v1/node/2/fill');
    expect(await scheduling(api, 2)).toBe('Filling');
    const cancelling = api.call('DELETE', '/control/v1/node/2/fill');
    await new Promise((r) => setTimeout(r, 200));
    release();
    expect([200, 202]).toContain((await cancelling).status);
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, 2)).toBe('Active');
  });
});

describe('preconditions', () => {
  it('answers each refusal with its status and changes nothing', async () => {
    await startStack(3);
    await createTenants(api, 3, 0, 0);
    const put = (path: string) => api.call('PUT', path);
    expect((await put('/control/v1/node/99/drain')).status).toBe(404);
    expect((await put('/control/v1/node/99/fill')).status).toBe(404);
    expect((await put('/control/v1/node/99/delete')).status).toBe(404);
    expect((await api.call('DELETE', '/control/v1/node/99/drain')).status).toBe(404);
    // Nothing to cancel.
    expect((await api.call('DELETE', '/control/v1/node/1/drain')).status).toBe(412);
    expect((await api.call('DELETE', '/control/v1/node/1/fill')).status).toBe(412);
    expect((await api.call('DELETE', '/control/v1/node/1/delete')).status).toBe(412);
    // D8 and wrong policies: Pause (and PauseForRestart) refuse drain and fill.
    await api.call('PUT', '/control/v1/node/3/config', { body: { node_id: 3, scheduling: 'Pause' } });
    expect((await put('/control/v1/node/3/drain')).status).toBe(412);
    expect((await put('/control/v1/node/3/fill')).status).toBe(412);
    await api.call('PUT', '/control/v1/node/3/config', {
      body: { node_id: 3, scheduling: 'PauseForRestart' },
    });
    expect((await put('/control/v1/node/3/drain')).status).toBe(412);
    // Unavailable: 503.
    await api.call('PUT', '/control/v1/node/3/config', {
      body: { node_id: 3, availability: 'Offline', scheduling: 'Active' },
    });
    expect((await put('/control/v1/node/3/drain')).status).toBe(503);
    expect((await put('/control/v1/node/3/fill')).status).toBe(503);
    // No other schedulable node: node 2 paused, node 3 offline → draining node 1 has nowhere to go.
    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Pause' } });
    expect((await put('/control/v1/node/1/drain')).status).toBe(412);
    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Active' } });
    expect((await nodes(api)).map((n) => n.scheduling)).toEqual(['Active', 'Active', 'Active']);

    // While a drain runs: 409 for the same drain, 412 for anything else, and config is locked (D7).
    const release = holdMoves();
    const execution = await start(api, '/control/v1/node/1/drain');
    expect((await put('/control/v1/node/1/drain')).status).toBe(409);
    expect((await put('/control/v1/node/2/drain')).status).toBe(412);
    expect((await put('/control/v1/node/2/fill')).status).toBe(412);
    expect((await put('/control/v1/node/1/fill')).status).toBe(412);
    expect((await put('/control/v1/node/2/delete')).status).toBe(412);
    expect((await api.call('DELETE', '/control/v1/node/1/fill')).status).toBe(412);
    const config = await api.call('PUT', '/control/v1/node/1/config', {
      body: { node_id: 1, scheduling: 'Active' },
    });
    expect(config.status).toBe(412);
    expect(config.text).toContain('Ongoing background operation forbids configuring');
    expect(await scheduling(api, 1)).toBe('Draining');
    release();
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, 1)).toBe('PauseForRestart');
    expect(
      (await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, scheduling: 'Active' } }))
        .status,
    ).toBe(200);
  });

  it('refuses a fill on a lone node', async () => {
    await startStack(1);
    expect((await api.call('PUT', '/control/v1/node/1/fill')).status).toBe(412);
    expect((await api.call('PUT', '/control/v1/node/1/drain')).status).toBe(412);
    expect(await scheduling(api, 1)).toBe('Active');
  });
});

/** Whether a drain execution holds any shard's lease (a move under way). */
async function anyShardLeased(): Promise<boolean> {
  const dump = (await api.call('GET', '/debug/v1/tenant')).body as Array<{ tenant_shard_id: string }>;
  for (const s of dump) {
    const tenant = s.tenant_shard_id.slice(0, 32);
    const holders = await api.stack.services.leases.shardHolders(tenant);
    if (holders.some((h) => h.owner.startsWith('drain-'))) return true;
  }
  return false;
}

describe('controller restart during a drain', () => {
  it('leaves a node that a new drain resumes (no 409), taking over the leases of the dead moves', async () => {
    await startStack(2);
    await createTenants(api, 4, 0, 0);
    holdMoves(true);
    await start(api, '/control/v1/node/1/drain');
    // Wait until some move holds its shard's lease, then kill the controller.
    for (let i = 0; i < 200 && !(await anyShardLeased()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await anyShardLeased()).toBe(true);
    await api.stack.restartController();
    reset();
    expect(await scheduling(api, 1)).toBe('Draining');
    const resumed = await start(api, '/control/v1/node/1/drain');
    expect(await waitForOperation(api, resumed)).toMatch(/^SUCCEEDED/);
    expect(await scheduling(api, 1)).toBe('PauseForRestart');
    expect((await attachedPerNode(api)).get(1)).toBe(0);
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  }, 120_000);

  it('leaves a node that a cancel returns to Active (200)', async () => {
    await startStack(2);
    await createTenants(api, 4, 0, 0);
    holdMoves();
    await start(api, '/control/v1/node/1/drain');
    await api.stack.restartController();
    reset();
    const res = await api.call('DELETE', '/control/v1/node/1/drain');
    expect(res.status, res.text).toBe(200);
    expect(await scheduling(api, 1)).toBe('Active');
    expect(
      (await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, scheduling: 'Active' } }))
        .status,
    ).toBe(200);
  });
});

describe('graceful node deletion', () => {
  it('drains the node, then removes it; no intent refers to it', async () => {
    await startStack(3);
    await createTenants(api, 6, 2, 1);
    const execution = await start(api, '/control/v1/node/2/delete');
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect((await nodes(api)).map((n) => n.id)).toEqual([1, 3]);
    const dump = (await api.call('GET', '/debug/v1/tenant')).body as Array<{
      intent: { attached: number | null; secondary: number[] };
    }>;
    for (const s of dump) {
      expect(s.intent.attached).not.toBe(2);
      expect(s.intent.secondary).not.toContain(2);
    }
    await api.stack.reconcileAllNow();
    const check = await api.call('POST', '/debug/v1/consistency_check');
    expect(check.status, check.text).toBe(200);
  });

  it('is cancellable: the node keeps its policy from before', async () => {
    await startStack(2);
    await createTenants(api, 4, 0, 0);
    await api.call('PUT', '/control/v1/node/1/config', { body: { node_id: 1, scheduling: 'Pause' } });
    const release = holdMoves();
    const execution = await start(api, '/control/v1/node/1/delete?force=true');
    expect(await scheduling(api, 1)).toBe('Deleting');
    const cancelling = api.call('DELETE', '/control/v1/node/1/delete');
    await new Promise((r) => setTimeout(r, 200));
    release();
    expect([200, 202]).toContain((await cancelling).status);
    expect(await waitForOperation(api, execution)).toMatch(/^SUCCEEDED/);
    expect((await nodes(api)).map((n) => [n.id, n.scheduling])).toEqual([
      [1, 'Pause'],
      [2, 'Active'],
    ]);
  });

  it('refuses a bad force flag with 400', async () => {
    await startStack(2);
    const res = await api.call('PUT', '/control/v1/node/1/delete?force=maybe');
    expect(res.status).toBe(400);
    expect(await scheduling(api, 1)).toBe('Active');
  });
});
