// The simulator is no kinder than a real pageserver: it obeys any generation it is told (refusal
// is opt-in), a restart takes time and tenant calls meanwhile get 503, a call can be applied with
// its answer lost, or hang and then drop. Remote storage checks the generation rules at every
// call and says which call broke which.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PageserverSim, startPageserverSim } from '../../../local/sim/pageserver';
import { SimRemoteStorage } from '../../../local/sim/remote-storage';
import { type FakeController, fakeController } from './fake-controller';
import { attachedBody } from './sim-harness';

const T = '1f359dd625e519a1a4e8d7509690f6fc';

let storage: SimRemoteStorage;
let sim: PageserverSim;
let controller: FakeController;
const extra: PageserverSim[] = [];

const attached = attachedBody(T);

async function callOn(ps: PageserverSim, method: string, path: string, body?: unknown, timeoutMs = 5_000) {
  const res = await fetch(`${ps.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? null),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const call = (method: string, path: string, body?: unknown, timeoutMs?: number) =>
  callOn(sim, method, path, body, timeoutMs);

const generationOn = (ps: PageserverSim) => ps.locations().find((l) => l.shard === T)?.conf.generation;

beforeEach(async () => {
  storage = new SimRemoteStorage();
  controller = await fakeController();
  sim = await startPageserverSim({
    nodeId: 1,
    storage,
    controlPlaneApi: controller.url,
    reAttachBackoffMs: () => 20,
  });
  await sim.waitUntilActive();
});

afterEach(async () => {
  await Promise.all([sim.stop(), ...extra.splice(0).map((p) => p.stop())]);
  await new Promise<void>((r) => controller.server.close(() => r()));
});

describe('generations', () => {
  it('ignores a listed shard it has no location for, as a real pageserver does', async () => {
    const unknown = '4f359dd625e519a1a4e8d7509690f6fc';
    controller.reAttachTenants = [{ id: unknown, gen: 3 }];
    await sim.restart();
    await sim.waitUntilActive();
    expect((await call('GET', '/v1/location_config')).body.tenant_shards).toEqual([]);
  });

  it('obeys a lower generation by default, and remote storage records the decrease', async () => {
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(5))).status).toBe(200);
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(4))).status).toBe(200);
    expect(generationOn(sim)).toBe(4);
    expect(storage.violations).toEqual([
      expect.objectContaining({
        kind: 'generation-decrease',
        shard: T,
        node: 1,
        message: `shard ${T}: node 1 was told generation 4 (AttachedSingle) after it ran generation 5`,
      }),
    ]);
  });

  it('refuses a lower generation when configured to, or for the next N calls through the fault API', async () => {
    const strict = await startPageserverSim({ nodeId: 2, storage, refuseLowerGeneration: true });
    extra.push(strict);
    const U = '2f359dd625e519a1a4e8d7509690f6fc';
    await callOn(strict, 'PUT', `/v1/tenant/${U}/location_config`, { ...attached(5), tenant_id: U });
    expect(
      (await callOn(strict, 'PUT', `/v1/tenant/${U}/location_config`, { ...attached(4), tenant_id: U }))
        .status,
    ).toBe(400);

    await call('PUT', '/sim/v1/faults', { refuseLowerGeneration: true, count: 1 });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(7));
    // a higher generation does not use the fault up
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(8))).status).toBe(200);
    const refused = await call('PUT', `/v1/tenant/${T}/location_config`, attached(6));
    expect(refused).toEqual({ status: 400, body: { msg: 'Generation 6 is less than existing 8' } });
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(6))).status).toBe(200);
    expect(storage.violations.map((v) => v.kind)).toEqual(['generation-decrease']);
  });

  it('records a generation given to two nodes and an attachment older than one issued, when they happen', async () => {
    const other = await startPageserverSim({ nodeId: 2, storage });
    extra.push(other);
    const seen: string[] = [];
    storage.onViolation = (v) => seen.push(v.kind);
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(3));
    await callOn(other, 'PUT', `/v1/tenant/${T}/location_config`, attached(3, { mode: 'AttachedMulti' }));
    expect(seen).toEqual(['generation-reused']);
    // AttachedStale in an older generation is how a migration origin waits: not a violation.
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(3, { mode: 'AttachedStale' }));
    await callOn(other, 'PUT', `/v1/tenant/${T}/location_config`, attached(4));
    expect(seen).toEqual(['generation-reused']);
    const fresh = '2f359dd625e519a1a4e8d7509690f6fc';
    await callOn(other, 'PUT', `/v1/tenant/${fresh}/location_config`, { ...attached(9), tenant_id: fresh });
    await call('PUT', `/v1/tenant/${fresh}/location_config`, {
      ...attached(8, { mode: 'AttachedMulti' }),
      tenant_id: fresh,
    });
    expect(storage.violations.at(-1)?.message).toBe(
      `shard ${fresh}: node 1 was attached (AttachedMulti) in generation 8 after generation 9 was issued to node 2`,
    );
    expect(storage.safetyViolations([])).toEqual([
      `generation ${T}@3 was given to nodes 1, 2`,
      storage.violations.at(-1)?.message,
    ]);
  });

  it('records a tenant deletion that runs in a superseded generation', async () => {
    const other = await startPageserverSim({ nodeId: 2, storage, deletionMs: 50 });
    extra.push(other);
    await callOn(other, 'PUT', `/v1/tenant/${T}/location_config`, attached(1));
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(2));
    expect((await callOn(other, 'DELETE', `/v1/tenant/${T}`)).status).toBe(202);
    await expect.poll(() => other.locations().length, { timeout: 2_000 }).toBe(0);
    expect(storage.violations.map((v) => v.message)).toContainEqual(
      `shard ${T}: node 2 deleted (tenant) in generation 1 after generation 2 was issued`,
    );
  });
  it('resumes a tenant deletion cut short by a restart in the generation it re-attached with', async () => {
    const slow = await startPageserverSim({
      nodeId: 2,
      storage,
      deletionMs: 400,
      controlPlaneApi: controller.url,
      reAttachBackoffMs: () => 20,
    });
    extra.push(slow);
    await slow.waitUntilActive();
    await callOn(slow, 'PUT', `/v1/tenant/${T}/location_config`, attached(1));
    expect((await callOn(slow, 'DELETE', `/v1/tenant/${T}`)).status).toBe(202);
    controller.reAttachTenants = [{ id: T, gen: 2 }];
    await slow.restart({ downMs: 10, startingMs: 0 });
    await expect.poll(() => slow.locations().length, { timeout: 3_000 }).toBe(0);
    expect(storage.violations).toEqual([]);
  });
});

describe('restarts take time', () => {
  it('is down for downMs, then answers tenant calls 503 until re-attached and startingMs passed', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    controller.reAttachTenants = [{ id: T, gen: 2 }];
    const restarted = sim.restart({ downMs: 150, startingMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.isRestarting).toBe(true);
    await expect(call('GET', '/v1/status', undefined, 1_000)).rejects.toThrow();
    await restarted;
    // listening, re-attached (generation 2 on disk), still loading
    await expect.poll(() => generationOn(sim), { timeout: 2_000 }).toBe(2);
    expect((await call('GET', '/v1/status')).status).toBe(200);
    const loading = await call('PUT', `/v1/tenant/${T}/location_config`, attached(2));
    expect(loading.status).toBe(503);
    expect(loading.body.msg).toMatch(/Not yet active/);
    await sim.waitUntilActive();
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(2))).status).toBe(200);
    expect(sim.restarts).toBe(1);
  });

  it('restarts over HTTP (POST /sim/v1/restart)', async () => {
    expect((await call('POST', '/sim/v1/restart', { downMs: 20, startingMs: 100 })).status).toBe(200);
    await expect.poll(() => sim.restarts).toBe(1);
    await expect.poll(() => sim.isRestarting, { timeout: 2_000 }).toBe(false);
    expect(sim.isActive).toBe(false);
    await sim.waitUntilActive(2_000);
    expect((await call('POST', '/sim/v1/restart', { downMs: 'x' })).status).toBe(400);
  });

  it('a restart fault: the call gets 503, re-attach gives a newer generation, and a retry of the old one is obeyed', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    await call('PUT', '/sim/v1/faults', { path: 'location_config', restart: { downMs: 30 }, count: 1 });
    // The controller's generation 2 call arrives while the node goes down...
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(2))).status).toBe(503);
    // ...its re-attach is handed generation 3...
    controller.reAttachTenants = [{ id: T, gen: 3 }];
    await expect.poll(() => sim.restarts).toBe(1);
    await sim.waitUntilActive(3_000);
    expect(generationOn(sim)).toBe(3);
    // ...and the client's retry of generation 2 lands after it: the node goes 3 → 2.
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(2))).status).toBe(200);
    expect(storage.safetyViolations([])).toEqual([
      `shard ${T}: node 1 was told generation 2 (AttachedSingle) after it ran generation 3`,
    ]);
  });
});

describe('lost answers and hangs', () => {
  it('applies a call and drops the connection (applyThenDrop)', async () => {
    sim.faults.add({ path: 'location_config', applyThenDrop: true, count: 1 });
    await expect(call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).rejects.toThrow();
    expect(generationOn(sim)).toBe(1);
    expect(storage.issued).toEqual([expect.objectContaining({ shard: T, generation: 1, node: 1 })]);
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(200);
  });

  it('applies a call, hangs, then drops (applyThenDrop with dropAfterMs)', async () => {
    await call('PUT', '/sim/v1/faults', {
      method: 'POST',
      path: '/timeline$',
      applyThenDrop: true,
      dropAfterMs: 150,
      count: 1,
    });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    const started = Date.now();
    await expect(
      call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await call('GET', `/v1/tenant/${T}/timeline`)).body).toHaveLength(1);
  });

  it('hangs then drops without serving (hang with dropAfterMs)', async () => {
    sim.faults.add({ path: 'location_config', hang: true, dropAfterMs: 100, count: 1 });
    const started = Date.now();
    await expect(call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(sim.locations()).toEqual([]);
    expect(sim.faults.list()).toEqual([]);
  });

  it('lists the new kinds and rejects malformed ones', async () => {
    await call('PUT', '/sim/v1/faults', { path: 'x', restart: { downMs: 1, startingMs: 2 } });
    expect((await call('GET', '/sim/v1/faults')).body).toEqual([
      { path: 'x', restart: { downMs: 1, startingMs: 2 } },
    ]);
    expect((await call('PUT', '/sim/v1/faults', { restart: { down: 1 } })).status).toBe(400);
    expect((await call('PUT', '/sim/v1/faults', { applyThenDrop: 'yes' })).status).toBe(400);
  });
});
