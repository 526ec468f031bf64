// The pageserver simulator over real HTTP: every endpoint, the re-attach contract, restarts,
// faults and the safety checker. A tiny real HTTP server plays the controller's upcall API.
// The fault kinds that make it as unkind as a real pageserver (503 while restarting, lost
// answers, hang then drop, obeying any generation) are in pageserver-faults.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PageserverSim, SimDisk, startPageserverSim } from '../../../local/sim/pageserver';
import type { SimRemoteStorage } from '../../../local/sim/remote-storage';
import type { FakeController } from './fake-controller';
import { attachedBody, simCall, startSimHarness, stopSimHarness } from './sim-harness';

const T = '1f359dd625e519a1a4e8d7509690f6fc';
const TL = 'de200bd42b49cc1814412c7e592dd6e9';
const TL2 = 'ab200bd42b49cc1814412c7e592dd6e9';

let storage: SimRemoteStorage;
let sim: PageserverSim;
let controller: FakeController;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  simCall(sim, method, path, body, headers);
const attached = attachedBody(T);

beforeEach(async () => {
  ({ storage, sim, controller } = await startSimHarness());
});

afterEach(() => stopSimHarness({ storage, sim, controller }));

describe('status and listing', () => {
  it('answers status, utilization and an empty location list', async () => {
    expect(await call('GET', '/v1/status')).toEqual({ status: 200, body: { id: 1 } });
    const util = await call('GET', '/v1/utilization');
    expect(util.body).toMatchObject({ disk_usage_bytes: 0, captured_at: expect.any(String) });
    expect(await call('GET', '/v1/location_config')).toEqual({ status: 200, body: { tenant_shards: [] } });
  });
});

describe('location_config', () => {
  it('attaches, lists as 2-tuples, and returns the attached shard', async () => {
    const res = await call('PUT', `/v1/tenant/${T}/location_config`, attached(3));
    expect(res).toEqual({ status: 200, body: { shards: [{ shard_id: T, node_id: 1 }] } });
    const list = await call('GET', '/v1/location_config');
    expect(list.body.tenant_shards).toEqual([
      [T, expect.objectContaining({ mode: 'AttachedSingle', generation: 3 })],
    ]);
  });

  it('rejects a lower generation (when told to), an attach without generation, a secondary with one, and unknown fields', async () => {
    // Refusing a lower generation is opt-in: by default the simulator obeys (see the faults tests).
    await call('PUT', '/sim/v1/faults', { refuseLowerGeneration: true });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(5));
    const lower = await call('PUT', `/v1/tenant/${T}/location_config`, attached(4));
    expect(lower.status).toBe(400);
    expect(lower.body.msg).toMatch(/less than existing/);
    expect(
      (await call('PUT', `/v1/tenant/${T}/location_config`, attached(5, { generation: null }))).status,
    ).toBe(400);
    expect(
      (await call('PUT', `/v1/tenant/${T}/location_config`, attached(5, { mode: 'Secondary' }))).status,
    ).toBe(400);
    const unknown = await call('PUT', `/v1/tenant/${T}/location_config`, attached(6, { extra: 1 }));
    expect(unknown.status).toBe(400);
    expect(unknown.body.msg).toMatch(/unknown field extra/);
    expect(
      (await call('PUT', `/v1/tenant/${T}/location_config`, { ...attached(6), tenant_conf: undefined }))
        .status,
    ).toBe(400);
  });

  it('keeps secondaries with an empty shard list and detaches idempotently with a null body', async () => {
    const secondary = { ...attached(0), mode: 'Secondary', generation: null, secondary_conf: { warm: true } };
    expect(await call('PUT', `/v1/tenant/${T}/location_config`, secondary)).toEqual({
      status: 200,
      body: { shards: [] },
    });
    const detach = { ...attached(0), mode: 'Detached', generation: null };
    expect(await call('PUT', `/v1/tenant/${T}/location_config`, detach)).toEqual({ status: 200, body: null });
    expect(await call('PUT', `/v1/tenant/${T}/location_config`, detach)).toEqual({ status: 200, body: null });
    expect((await call('GET', '/v1/location_config')).body.tenant_shards).toEqual([]);
  });

  it('rejects a malformed tenant shard id', async () => {
    expect((await call('PUT', '/v1/tenant/xyz/location_config', attached(1))).status).toBe(400);
  });
});

describe('timelines', () => {
  beforeEach(async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
  });

  it('creates idempotently, 409 null on mismatch, lists, gets, and branches at the ancestor LSN', async () => {
    const first = await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL, pg_version: 16 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      tenant_id: T,
      timeline_id: TL,
      last_record_lsn: '0/169AD58',
      pg_version: 16,
    });
    expect(
      (await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL, pg_version: 16 })).status,
    ).toBe(201);
    expect(await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL, pg_version: 14 })).toEqual({
      status: 409,
      body: null,
    });
    const branch = await call('POST', `/v1/tenant/${T}/timeline`, {
      new_timeline_id: TL2,
      ancestor_timeline_id: TL,
    });
    expect(branch.body).toMatchObject({ ancestor_timeline_id: TL, ancestor_lsn: '0/169AD58' });
    expect((await call('GET', `/v1/tenant/${T}/timeline`)).body).toHaveLength(2);
    expect((await call('GET', `/v1/tenant/${T}/timeline/${TL}`)).body.timeline_id).toBe(TL);
    expect((await call('GET', `/v1/tenant/${T}/timeline/${'0'.repeat(32)}`)).status).toBe(404);
    const details = await call('GET', `/v1/tenant/${T}`);
    expect(details.body).toMatchObject({
      id: T,
      state: { slug: 'Active' },
      generation: 1,
      timelines: expect.arrayContaining([TL, TL2]),
    });
  });

  it('deletes a timeline with 202 then 404, refusing while it has children', async () => {
    await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL });
    await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL2, ancestor_timeline_id: TL });
    expect((await call('DELETE', `/v1/tenant/${T}/timeline/${TL}`)).status).toBe(412);
    expect(await call('DELETE', `/v1/tenant/${T}/timeline/${TL2}`)).toEqual({ status: 202, body: null });
    await expect
      .poll(async () => (await call('DELETE', `/v1/tenant/${T}/timeline/${TL2}`)).status, { timeout: 5_000 })
      .toBe(404);
  });

  it('advances last_record_lsn on ingest, recording a write in its generation', async () => {
    await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL });
    const res = await call('POST', `/sim/v1/tenant/${T}/timeline/${TL}/advance`, { bytes: 4096 });
    expect(res.body).toEqual({ last_record_lsn: '0/169BD58' });
    expect(storage.writes.filter((w) => w.what === 'ingest')).toEqual([
      expect.objectContaining({ generation: 1, node: 1 }),
    ]);
  });
});

describe('tenant operations', () => {
  it('deletes a tenant with 202, 409 while running, then 404', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    expect(await call('DELETE', `/v1/tenant/${T}`)).toEqual({ status: 202, body: null });
    expect((await call('DELETE', `/v1/tenant/${T}`)).status).toBe(409);
    await expect
      .poll(async () => (await call('DELETE', `/v1/tenant/${T}`)).status, { timeout: 5_000 })
      .toBe(404);
    expect((await call('GET', `/v1/tenant/${T}`)).status).toBe(404);
  });

  it('splits a shard into children in the same generation and removes the parent', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(7));
    await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL });
    const res = await call('PUT', `/v1/tenant/${T}/shard_split`, { new_shard_count: 2 });
    expect(res).toEqual({ status: 200, body: { new_shards: [`${T}-0002`, `${T}-0102`] } });
    const list = (await call('GET', '/v1/location_config')).body.tenant_shards as Array<
      [string, { generation: number; shard_count: number }]
    >;
    expect(list.map(([id]) => id).sort()).toEqual([`${T}-0002`, `${T}-0102`]);
    expect(list.every(([, conf]) => conf.generation === 7 && conf.shard_count === 2)).toBe(true);
    expect((await call('GET', `/v1/tenant/${T}-0102/timeline`)).body).toHaveLength(1);
    expect((await call('PUT', `/v1/tenant/${T}-0002/shard_split`, { new_shard_count: 3 })).status).toBe(500);
  });

  it('time-travels only shards it does not hold', async () => {
    const q = 'travel_to=2024-02-29T10:00:00Z&done_if_after=2024-02-29T11:00:00Z';
    expect(await call('PUT', `/v1/tenant/${T}-0002/time_travel_remote_storage?${q}`)).toEqual({
      status: 200,
      body: null,
    });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    expect((await call('PUT', `/v1/tenant/${T}/time_travel_remote_storage?${q}`)).status).toBe(400);
    expect(
      (await call('PUT', `/v1/tenant/${T}-0002/time_travel_remote_storage?travel_to=nope&done_if_after=x`))
        .status,
    ).toBe(400);
  });

  it('downloads secondaries and refuses for attached shards', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, {
      ...attached(0),
      mode: 'Secondary',
      generation: null,
    });
    expect(await call('POST', `/v1/tenant/${T}/secondary/download`)).toEqual({ status: 200, body: null });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(2));
    expect((await call('POST', `/v1/tenant/${T}/secondary/download`)).status).toBe(500);
  });
});

describe('re-attach and restarts', () => {
  it('retries re-attach until the controller answers, serving 503 for tenants meanwhile', async () => {
    await sim.stop();
    controller.reAttachStatus = 404;
    sim = await startPageserverSim({
      nodeId: 1,
      storage,
      controlPlaneApi: controller.url,
      reAttachBackoffMs: () => 20,
    });
    await expect.poll(() => sim.reAttachAttempts, { timeout: 5_000 }).toBeGreaterThan(1);
    expect(sim.isActive).toBe(false);
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(503);
    expect((await call('GET', '/v1/status')).status).toBe(200);
    controller.reAttachStatus = 200;
    await sim.waitUntilActive();
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(200);
  });

  it('keeps its disk across a stop and a new instance given the same disk', async () => {
    const disk = new SimDisk();
    const s2 = await startPageserverSim({ nodeId: 2, storage, disk });
    await fetch(`${s2.baseUrl}/v1/tenant/${T}/location_config`, {
      method: 'PUT',
      body: JSON.stringify(attached(9)),
    });
    await s2.stop();
    const s3 = await startPageserverSim({ nodeId: 2, storage, disk });
    const list = (await (await fetch(`${s3.baseUrl}/v1/location_config`)).json()) as {
      tenant_shards: unknown[];
    };
    expect(list.tenant_shards).toHaveLength(1);
    await s3.stop();
  });
});

describe('auth', () => {
  it('requires the configured token except on status', async () => {
    const s = await startPageserverSim({ nodeId: 3, storage, requiredToken: 'tok' });
    try {
      expect((await fetch(`${s.baseUrl}/v1/status`)).status).toBe(200);
      expect((await fetch(`${s.baseUrl}/v1/location_config`)).status).toBe(401);
      expect(
        (await fetch(`${s.baseUrl}/v1/location_config`, { headers: { authorization: 'Bearer nope' } }))
          .status,
      ).toBe(403);
      expect(
        (await fetch(`${s.baseUrl}/v1/location_config`, { headers: { authorization: 'Bearer tok' } })).status,
      ).toBe(200);
    } finally {
      await s.stop();
    }
  });
});

describe('faults', () => {
  it('fails the next N matching calls, then serves', async () => {
    await call('PUT', '/sim/v1/faults', { method: 'PUT', path: 'location_config', status: 500, count: 2 });
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(500);
    expect((await call('GET', '/v1/location_config')).status).toBe(200);
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(500);
    expect((await call('PUT', `/v1/tenant/${T}/location_config`, attached(1))).status).toBe(200);
  });

  it('delays and hangs until cleared', async () => {
    sim.faults.add({ path: 'utilization', delayMs: 150, count: 1 });
    const started = Date.now();
    expect((await call('GET', '/v1/utilization')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await call('PUT', '/sim/v1/faults', { path: 'status', hang: true });
    await expect(fetch(`${sim.baseUrl}/v1/status`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    await call('DELETE', '/sim/v1/faults');
    expect((await call('GET', '/v1/status')).status).toBe(200);
  });

  it('rejects a malformed fault', async () => {
    expect((await call('PUT', '/sim/v1/faults', { status: 'x' })).status).toBe(400);
  });
});

describe('generation safety checker', () => {
  it('reports nothing for a safe sequence', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    controller.valid = true;
    await sim.flushDeletions();
    expect(
      storage.safetyViolations([
        { node: 1, shards: sim.locations().map((l) => ({ shard: l.shard, mode: l.conf.mode })) },
      ]),
    ).toEqual([]);
  });

  it('reports a generation given to two nodes, two live AttachedSingle holders, and a stale deletion', async () => {
    storage.recordIssued(T, 4, 1);
    storage.recordIssued(T, 4, 2);
    storage.recordIssued(T, 5, 2);
    storage.recordDeletion(T, 4, 1);
    const problems = storage.safetyViolations([
      { node: 1, shards: [{ shard: T, mode: 'AttachedSingle' }] },
      { node: 2, shards: [{ shard: T, mode: 'AttachedSingle' }] },
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/generation .*@4 was given to nodes 1, 2/);
    expect(problems[1]).toMatch(/AttachedSingle on live nodes 1, 2/);
    expect(problems[2]).toMatch(/deleted in generation 4 after generation 5/);
  });

  it('catches a double AttachedSingle when it happens, even if it is gone by the end', async () => {
    const other = await startPageserverSim({ nodeId: 2, storage });
    const third = await startPageserverSim({ nodeId: 3, storage });
    try {
      const put = (ps: PageserverSim, body: unknown) =>
        fetch(`${ps.baseUrl}/v1/tenant/${T}/location_config`, { method: 'PUT', body: JSON.stringify(body) });
      const secondary = { tenant_id: T, mode: 'Secondary', secondary_conf: { warm: true }, tenant_conf: {} };
      // A correct hand-off: the origin goes stale before the destination takes over alone.
      await put(sim, attached(1));
      await put(sim, attached(1, { mode: 'AttachedStale' }));
      await put(other, attached(2, { mode: 'AttachedMulti' }));
      await put(other, attached(2));
      await put(sim, secondary);
      expect(storage.overlaps).toEqual([]);
      // A stopped node serves nothing: attaching elsewhere meanwhile is fine.
      await other.stop();
      await put(sim, attached(3));
      expect(storage.overlaps).toEqual([]);
      // The wrong order: both single-attached for a moment, then repaired.
      await put(third, attached(4));
      await put(sim, secondary);
      expect(storage.overlaps).toEqual([`shard ${T} became AttachedSingle on node 3 while live on 1`]);
      expect(storage.safetyViolations([])).toContain(storage.overlaps[0]);
    } finally {
      await Promise.all([other.stop(), third.stop()]);
    }
  });

  it('executes deletions only for generations the controller calls valid', async () => {
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    controller.valid = false;
    expect(await sim.flushDeletions()).toEqual([{ id: T, valid: false }]);
    expect(storage.deletions).toEqual([]);
    controller.valid = true;
    await call('POST', '/sim/v1/flush_deletions');
    expect(storage.deletions).toEqual([expect.objectContaining({ shard: T, generation: 1 })]);
  });
});
