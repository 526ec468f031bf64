// Bad input is refused with the status that says what kind, a `{"msg"}` naming the problem, and
// nothing persisted.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployedApi, parsed } from './support/api';
import { errorBody, type Reply, shown } from './support/target';

const api = new DeployedApi();
let tenantId: string;
beforeAll(async () => {
  tenantId = await api.createTenant(0);
});
afterAll(() => api.cleanUp());

const unknownTenant = () => randomBytes(16).toString('hex');
const timelineId = randomBytes(16).toString('hex');

function expectError(reply: Reply, status: number, ...fragments: Array<string | RegExp>) {
  expect(reply.status, shown(reply)).toBe(status);
  const { msg } = parsed(errorBody, reply);
  for (const fragment of fragments) expect(msg).toMatch(fragment);
}

describe('malformed ids: 400 naming the parameter and the value', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['GET', '/control/v1/tenant/not-an-id', undefined, 'tenant_id'],
    ['GET', '/control/v1/tenant/not-an-id/locate', undefined, 'tenant_id'],
    ['POST', '/v1/tenant/not-an-id/timeline', { new_timeline_id: timelineId }, 'tenant_id'],
    ['GET', '/v1/tenant/not-an-id/timeline', undefined, 'tenant_id'],
    ['PUT', '/control/v1/tenant/not-an-id/shard_split', { new_shard_count: 2 }, 'tenant_id'],
    ['PUT', '/control/v1/node/not-an-id/config', { node_id: 1 }, 'node_id'],
  ];
  for (const [method, path, body, param] of cases) {
    it(`${method} ${path}`, async () => {
      expectError(await api.call(method, path, { body }), 400, param, 'not-an-id');
    });
  }

  it('a timeline id in the path, and a shard id for migrate', async () => {
    expectError(
      await api.call('DELETE', `/v1/tenant/${tenantId}/timeline/not-an-id`),
      400,
      'timeline_id',
      'not-an-id',
    );
    const migrate = await api.call('PUT', '/control/v1/tenant/not-an-id/migrate', { body: { node_id: 1 } });
    expectError(migrate, 400, /shard id/, 'not-an-id');
  });

  it('a tenant id in a body, or a shard where the whole tenant is meant; nothing is created', async () => {
    expectError(
      await api.call('POST', '/v1/tenant', { body: { new_tenant_id: 'not-an-id' } }),
      400,
      'new_tenant_id',
    );
    const fresh = api.newTenantId();
    expectError(
      await api.call('POST', '/v1/tenant', { body: { new_tenant_id: `${fresh}-0002` } }),
      400,
      /shard/,
    );
    expect((await api.call('GET', `/control/v1/tenant/${fresh}`)).status).toBe(404);
  });
});

describe('unknown things: 404', () => {
  it('an unknown tenant on the routes that read or change one', async () => {
    const t = unknownTenant();
    for (const [method, path, body] of [
      ['GET', `/control/v1/tenant/${t}`, undefined],
      ['GET', `/control/v1/tenant/${t}/locate`, undefined],
      ['GET', `/v1/tenant/${t}`, undefined],
      ['GET', `/v1/tenant/${t}/timeline`, undefined],
      ['POST', `/v1/tenant/${t}/timeline`, { new_timeline_id: timelineId }],
      ['PUT', `/control/v1/tenant/${t}/shard_split`, { new_shard_count: 2 }],
      ['PUT', `/control/v1/tenant/${t}/migrate`, { node_id: 1 }],
    ] as const) {
      const reply = await api.call(method, path, { body });
      expect(reply.status, `${method} ${path}: ${shown(reply)}`).toBe(404);
      expect(parsed(errorBody, reply).msg).not.toBe('');
    }
  });

  it('a migration to a node that is not registered', async () => {
    const unknownNode = Math.max(...(await api.nodes()).map((n) => n.id)) + 1000;
    const reply = await api.call('PUT', `/control/v1/tenant/${tenantId}/migrate`, {
      body: { node_id: unknownNode },
    });
    expectError(reply, 404, /not registered/);
  });

  it('a path no route serves', async () => {
    // API Gateway answers unmatched paths itself, with its own body: only the status is ours.
    expect((await api.call('GET', '/control/v1/no-such-route')).status).toBe(404);
  });
});

describe('bad bodies: 400, nothing persisted', () => {
  it('malformed JSON, a missing body, an unknown field, a wrongly typed field', async () => {
    const fresh = api.newTenantId();
    const post = (opts: { body?: unknown; raw?: string }) => api.call('POST', '/v1/tenant', opts);
    expectError(await post({ raw: `{"new_tenant_id":"${fresh}"` }), 400, /^Failed to parse json request/);
    expectError(await post({}), 400, /missing request body/);
    expectError(
      await post({ body: { new_tenant_id: fresh, bogus_field: 1 } }),
      400,
      "unknown field 'bogus_field'",
    );
    expectError(
      await post({ body: { new_tenant_id: fresh, shard_parameters: { count: 'two', stripe_size: 32768 } } }),
      400,
      "field 'shard_parameters.count'",
    );
    expect((await api.call('GET', `/control/v1/tenant/${fresh}`)).status).toBe(404);
  });

  it('a node change that is not one', async () => {
    const node = (await api.nodes())[0]!;
    const path = `/control/v1/node/${node.id}/config`;
    expectError(await api.call('PUT', path, { raw: '{"node_id":' }), 400, /^Failed to parse json request/);
    expectError(
      await api.call('PUT', path, { body: { node_id: node.id, scheduling: 'active' } }),
      400,
      'scheduling',
    );
    expect((await api.nodes()).find((n) => n.id === node.id)).toEqual(node);
  });

  it('a split to fewer shards than the tenant has', async () => {
    const reply = await api.call('PUT', `/control/v1/tenant/${tenantId}/shard_split`, {
      body: { new_shard_count: 0 },
    });
    expectError(reply, 400, 'new_shard_count');
  });
});
