import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.stop();
});

const registration = (id: number, port = 9898) => ({
  node_id: id,
  listen_pg_addr: '10.0.0.5',
  listen_pg_port: 6400,
  listen_http_addr: '10.0.0.5',
  listen_http_port: port,
});

describe('probes', () => {
  it('answers /status with null and echoes the request id', async () => {
    const res = await api.call('GET', '/status', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });

  it('issues a fresh uuid request id when none is given, also on errors', async () => {
    const ok = await api.call('GET', '/status');
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await api.call('GET', '/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ msg: expect.stringContaining('no route for GET /no/such/route') });
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const wrongMethod = await api.call('DELETE', '/control/v1/node');
    expect(wrongMethod.status).toBe(404);
  });

  it('is ready once the stack has started', async () => {
    const res = await api.call('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
  });

  it('is not ready while a new startup is in progress', async () => {
    await api.stack.services.meta.beginStartup('another-epoch');
    const res = await api.call('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.body).toBeNull();
    await api.stack.services.meta.markReady('another-epoch');
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });
});

describe('node registration', () => {
  it('registers a node as Active/Filling and lists it', async () => {
    const res = await api.call('POST', '/control/v1/node', { body: registration(1) });
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    const list = await api.call('GET', '/control/v1/node');
    expect(list.body).toContainEqual({
      id: 1,
      availability: 'Active',
      scheduling: 'Filling',
      listen_http_addr: '10.0.0.5',
      listen_http_port: 9898,
      listen_pg_addr: '10.0.0.5',
      listen_pg_port: 6400,
      availability_zone_id: null,
    });
  });

  it('is idempotent for identical addresses and 409 for different ones', async () => {
    await api.call('POST', '/control/v1/node', { body: registration(2) });
    const again = await api.call('POST', '/control/v1/node', { body: registration(2) });
    expect(again.status).toBe(200);
    const different = await api.call('POST', '/control/v1/node', { body: registration(2, 9999) });
    expect(different.status).toBe(409);
    expect(different.body).toEqual({ msg: 'Conflict: Node is already registered with different address' });
    const list = (await api.call('GET', '/control/v1/node')).body as Array<{
      id: number;
      listen_http_port: number;
    }>;
    expect(list.filter((n) => n.id === 2)).toEqual([expect.objectContaining({ listen_http_port: 9898 })]);
  });

  it('records an availability zone and keeps it', async () => {
    await api.call('POST', '/control/v1/node', {
      body: { ...registration(3), availability_zone_id: 'az-1' },
    });
    const list = (await api.call('GET', '/control/v1/node')).body as Array<{
      id: number;
      availability_zone_id: string;
    }>;
    expect(list.find((n) => n.id === 3)?.availability_zone_id).toBe('az-1');
  });

  it('serialises concurrent registrations of one node into a single item', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.call('POST', '/control/v1/node', { body: registration(4) })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    const list = (await api.call('GET', '/control/v1/node')).body as Array<{ id: number }>;
    expect(list.filter((n) => n.id === 4)).toHaveLength(1);
  });
});

describe('node configuration', () => {
  it('sets availability and scheduling', async () => {
    await api.call('POST', '/control/v1/node', { body: registration(10) });
    const res = await api.call('PUT', '/control/v1/node/10/config', {
      body: { node_id: 10, availability: 'Offline', scheduling: 'Draining' },
    });
    expect(res.status).toBe(200);
    const node = ((await api.call('GET', '/control/v1/node')).body as Array<Record<string, unknown>>).find(
      (n) => n.id === 10,
    );
    expect(node).toMatchObject({ availability: 'Offline', scheduling: 'Draining' });
    // null or absent fields leave the value alone
    await api.call('PUT', '/control/v1/node/10/config', {
      body: { node_id: 10, availability: 'Active', scheduling: null },
    });
    const after = ((await api.call('GET', '/control/v1/node')).body as Array<Record<string, unknown>>).find(
      (n) => n.id === 10,
    );
    expect(after).toMatchObject({ availability: 'Active', scheduling: 'Draining' });
  });

  it('rejects a path/body mismatch with 400 and an unknown node with 404', async () => {
    const mismatch = await api.call('PUT', '/control/v1/node/10/config', {
      body: { node_id: 11, availability: 'Offline' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({ msg: 'Path and body node_id differ' });
    const unknown = await api.call('PUT', '/control/v1/node/999/config', {
      body: { node_id: 999, availability: 'Offline' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ msg: 'NotFound: Node not registered' });
  });

  it('keeps every one of many concurrent changes to one node', async () => {
    await api.call('POST', '/control/v1/node', { body: registration(12) });
    const policies = ['Active', 'Pause', 'Draining', 'Filling'] as const;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.call('PUT', '/control/v1/node/12/config', { body: { node_id: 12, scheduling: policies[i % 4] } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    // Twelve accepted changes are twelve version bumps after the create: none was overwritten blindly.
    const node = await api.stack.services.nodes.get(12);
    expect(node?.version).toBe(13);
  });
});

describe('node drop', () => {
  it('forgets a node, and 404s for an unknown one', async () => {
    await api.call('POST', '/control/v1/node', { body: registration(20) });
    expect((await api.call('POST', '/debug/v1/node/20/drop')).status).toBe(200);
    const list = (await api.call('GET', '/control/v1/node')).body as Array<{ id: number }>;
    expect(list.some((n) => n.id === 20)).toBe(false);
    expect((await api.call('POST', '/debug/v1/node/20/drop')).status).toBe(404);
  });
});

describe('re-attach upcall', () => {
  it('404s for an unregistered node and marks a registered one Active', async () => {
    const unknown = await api.call('POST', '/upcall/v1/re-attach', { body: { node_id: 777 } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ msg: 'NotFound: Node not registered' });
    await api.call('POST', '/control/v1/node', { body: registration(30) });
    await api.call('PUT', '/control/v1/node/30/config', { body: { node_id: 30, availability: 'Offline' } });
    const res = await api.call('POST', '/upcall/v1/re-attach', { body: { node_id: 30 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ tenants: [] });
    expect((await api.stack.services.nodes.get(30))?.availability).toBe('Active');
  });
});

describe('the modern re-attach', () => {
  it('registers an unknown node from `register` and answers in the modern shape, ignoring unknown fields', async () => {
    const res = await api.call('POST', '/upcall/v1/re-attach', {
      body: {
        node_id: 60,
        register: { ...registration(60, 9960), availability_zone_id: 'az-1', listen_https_port: 9961 },
        empty_local_disk: true,
        some_future_field: { x: 1 },
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ tenants: [] });
    expect(await api.stack.services.nodes.get(60)).toMatchObject({
      availability: 'Active',
      listenHttpPort: 9960,
      availabilityZoneId: 'az-1',
    });
    // Registered again with other addresses: 409, as node registration does.
    const moved = await api.call('POST', '/upcall/v1/re-attach', {
      body: { node_id: 60, register: registration(60, 1) },
    });
    expect(moved.status).toBe(409);
    expect((await api.stack.services.nodes.get(60))?.listenHttpPort).toBe(9960);
  });

  it('answers each shard with its mode, an integer generation when attached, and the stripe of a sharded tenant', async () => {
    await api.call('POST', '/control/v1/node', { body: registration(61, 9871) });
    await api.call('POST', '/control/v1/node', { body: registration(62, 9872) });
    const tenant = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
    // Issued to node 61 by hand (the test API has no pageservers to reconcile against).
    for (const shard of [`${tenant}-0002`, `${tenant}-0102`]) {
      const hook = await api.call('POST', '/debug/v1/attach-hook', {
        body: { tenant_shard_id: shard, node_id: 61 },
      });
      expect(hook.status, hook.text).toBe(200);
    }
    const res = await api.call('POST', '/upcall/v1/re-attach', { body: { node_id: 61 } });
    expect(res.status, res.text).toBe(200);
    const tenants = (res.body as { tenants: Array<Record<string, unknown>> }).tenants;
    expect(tenants).toHaveLength(2);
    for (const t of tenants) {
      expect(t).toMatchObject({ mode: 'AttachedSingle' });
      expect(Number.isInteger(t.gen)).toBe(true);
      expect(typeof t.stripe_size).toBe('number');
    }
  });
});

describe('unknown fields from newer clients are ignored where the reference ignores them', () => {
  it('node registration and configuration, and validate', async () => {
    const reg = await api.call('POST', '/control/v1/node', {
      body: { ...registration(70, 9970), listen_https_port: null, listen_grpc_addr: 'h', colour: 'red' },
    });
    expect(reg.status, reg.text).toBe(200);
    const conf = await api.call('PUT', '/control/v1/node/70/config', {
      body: { node_id: 70, scheduling: 'Pause', reason: 'maintenance' },
    });
    expect(conf.status, conf.text).toBe(200);
    expect((await api.stack.services.nodes.get(70))?.scheduling).toBe('Pause');
    const validate = await api.call('POST', '/upcall/v1/validate', {
      body: { tenants: [{ id: 'b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1', gen: 1, extra: 1 }], extra: 2 },
    });
    expect(validate.status, validate.text).toBe(200);
  });
});

describe('bad input is rejected with 400 naming the problem, and nothing is persisted', () => {
  const cases: Array<[string, string, string, unknown, RegExp]> = [
    [
      'missing field',
      'POST',
      '/control/v1/node',
      { node_id: 51, listen_pg_addr: 'h', listen_pg_port: 1, listen_http_addr: 'h' },
      /listen_http_port/,
    ],
    [
      'wrong type',
      'POST',
      '/control/v1/node',
      { ...registration(52), listen_http_port: '80' },
      /listen_http_port/,
    ],
    [
      'port out of range',
      'POST',
      '/control/v1/node',
      { ...registration(53), listen_pg_port: 70000 },
      /listen_pg_port/,
    ],
    ['negative node id', 'POST', '/control/v1/node', { ...registration(54), node_id: -54 }, /node_id/],
    [
      'bad availability',
      'PUT',
      '/control/v1/node/1/config',
      { node_id: 1, availability: 'active' },
      /availability/,
    ],
    ['bad node id in path', 'PUT', '/control/v1/node/abc/config', { node_id: 1 }, /invalid node id 'abc'/],
    ['bad node id in drop path', 'POST', '/debug/v1/node/1x/drop', undefined, /invalid node id '1x'/],
    [
      're-attach with a bad registration',
      'POST',
      '/upcall/v1/re-attach',
      { node_id: 55, register: { ...registration(55), listen_http_port: 'x' } },
      /register\.listen_http_port/,
    ],
    [
      're-attach registering another node id',
      'POST',
      '/upcall/v1/re-attach',
      { node_id: 56, register: registration(57) },
      /register\.node_id/,
    ],
    [
      're-attach with a bad empty_local_disk',
      'POST',
      '/upcall/v1/re-attach',
      { node_id: 1, empty_local_disk: 'yes' },
      /empty_local_disk/,
    ],
  ];

  for (const [name, method, path, body, message] of cases) {
    it(name, async () => {
      const before = await api.stack.services.nodes.list();
      const res = await api.call(method, path, body === undefined ? {} : { body });
      expect(res.status).toBe(400);
      expect((res.body as { msg: string }).msg).toMatch(message);
      expect(await api.stack.services.nodes.list()).toEqual(before);
    });
  }

  it('malformed JSON and a missing body', async () => {
    const broken = await api.call('POST', '/control/v1/node', { raw: '{"node_id": 1,' });
    expect(broken.status).toBe(400);
    expect((broken.body as { msg: string }).msg).toMatch(/^Failed to parse json request/);
    const empty = await api.call('POST', '/control/v1/node');
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ msg: 'missing request body' });
  });
});

describe('metrics', () => {
  it('counts requests and latencies by route template and status', async () => {
    await api.call('PUT', '/control/v1/node/888/config', { body: { node_id: 888 } });
    const res = await api.call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(
      /storage_controller_http_requests_total\{route="PUT \/control\/v1\/node\/\{node_id\}\/config",status="404"\} [1-9]/,
    );
    expect(res.text).toMatch(
      /storage_controller_http_request_duration_seconds_count\{route="POST \/control\/v1\/node",status="200"\} [1-9]/,
    );
  });
});
