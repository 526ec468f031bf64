// Every route rejects bad ids and bodies with 400 naming the problem, and persists nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/route-table';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
let tenant: string;
beforeAll(async () => {
  api = await startTestApi({ pageservers: 2 });
  tenant = randomTenantId();
  expect((await api.call('POST', '/v1/tenant', { body: { new_tenant_id: tenant } })).status).toBe(201);
});
afterAll(async () => {
  await api.stop();
});

const GOOD: Record<string, string> = {
  node_id: '1',
  tenant_id: '',
  tenant_shard_id: '',
  timeline_id: 'de200bd42b49cc1814412c7e592dd6e9',
  proxy: 'x',
};

function fill(path: string, overrides: Record<string, string> = {}): string {
  return path.replace(/\{([a-z_]+)\+?\}/g, (_, name: string) => overrides[name] ?? (GOOD[name] || tenant));
}

async function snapshot() {
  const [tenants, nodes] = await Promise.all([
    api.call('GET', '/debug/v1/tenant'),
    api.call('GET', '/control/v1/node'),
  ]);
  return JSON.stringify([tenants.body, nodes.body]);
}

describe('bad path ids', () => {
  for (const route of ROUTES) {
    // Execution ids are opaque strings: any text is a valid (perhaps unknown) id.
    const params = [...route.path.matchAll(/\{([a-z_]+)\}/g)]
      .map((m) => m[1]!)
      .filter((p) => p !== 'execution_id');
    for (const param of params) {
      it(`${route.method} ${route.path}: bad ${param}`, async () => {
        const before = await snapshot();
        const res = await api.call(route.method, fill(route.path, { [param]: 'not-an-id' }), {
          body: route.body ? {} : undefined,
        });
        expect(res.status, res.text).toBe(400);
        expect((res.body as { msg: string }).msg).toContain(param);
        expect(await snapshot()).toBe(before);
      });
    }
  }
});

/**
 * Bodies in which the reference ignores unknown fields (its types without deny_unknown_fields):
 * newer pageservers and control planes send fields we do not know, and must not be refused.
 * Everywhere else (tenant create, location_config, tenant config, time travel) they are refused.
 */
const IGNORES_UNKNOWN_FIELDS = new Set([
  'POST /upcall/v1/re-attach',
  'POST /upcall/v1/validate',
  'POST /control/v1/node',
  'PUT /control/v1/node/{node_id}/config',
  'PUT /control/v1/tenant/{tenant_id}/policy',
  'PUT /control/v1/tenant/{tenant_id}/shard_split',
  'POST /v1/tenant/{tenant_id}/timeline',
  'POST /debug/v1/attach-hook',
  'POST /debug/v1/inspect',
]);

describe('bad bodies', () => {
  for (const route of ROUTES.filter((r) => r.body)) {
    const ignored = IGNORES_UNKNOWN_FIELDS.has(`${route.method} ${route.path}`);
    it(`${route.method} ${route.path}: unknown field ${ignored ? 'ignored' : 'refused'}, malformed JSON, wrong shape`, async () => {
      const before = await snapshot();
      const path = fill(route.path);
      const unknown = await api.call(route.method, path, { body: { bogus_field: 1 } });
      if (ignored) {
        expect(unknown.text).not.toContain('unknown field');
      } else {
        expect(unknown.status, unknown.text).toBe(400);
        expect((unknown.body as { msg: string }).msg).toContain("unknown field 'bogus_field'");
      }
      const malformed = await api.call(route.method, path, { raw: '{"a":' });
      expect(malformed.status).toBe(400);
      expect((malformed.body as { msg: string }).msg).toMatch(/^Failed to parse json request/);
      const array = await api.call(route.method, path, { body: [1, 2] });
      expect(array.status).toBe(400);
      expect(await snapshot()).toBe(before);
    });
  }

  it('names a wrongly typed field', async () => {
    const res = await api.call('POST', '/v1/tenant', {
      body: { new_tenant_id: randomTenantId(), shard_parameters: { count: 'two', stripe_size: 1 } },
    });
    expect(res.status).toBe(400);
    expect((res.body as { msg: string }).msg).toContain("field 'shard_parameters.count'");
    const policy = await api.call('PUT', `/control/v1/tenant/${tenant}/policy`, {
      body: { placement: { Triple: 1 } },
    });
    expect(policy.status).toBe(400);
    expect((policy.body as { msg: string }).msg).toContain("'placement'");
  });
});
