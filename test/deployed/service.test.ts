// The service routes anyone may call, and what every reply carries.
import { describe, expect, it } from 'vitest';
import { openApiDocumentOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, parsed } from './support/api';

const api = new DeployedApi();

describe('service routes', () => {
  it('answers /status and /ready with 200 null, without a token', async () => {
    for (const path of ['/status', '/ready']) {
      const reply = await api.call('GET', path, { token: null });
      expect(reply.status, `${path}: ${reply.text}`).toBe(200);
      expect(reply.body).toBeNull();
    }
  });

  it('serves Prometheus text at /metrics and its OpenAPI document at /openapi.json', async () => {
    const metrics = await api.call('GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^# (HELP|TYPE) \w+/m);
    const doc = parsed(openApiDocumentOut, await api.call('GET', '/openapi.json', { token: null }));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/tenant', '/control/v1/node', '/control/v1/tenant/{tenant_id}/locate']),
    );
  });

  it('echoes x-request-id, and makes one up when none is sent', async () => {
    const mine = 'deployed-suite-0123456789';
    const echoed = await api.call('GET', '/control/v1/node', { headers: { 'x-request-id': mine } });
    expect(echoed.headers.get('x-request-id')).toBe(mine);
    const fresh = await api.call('GET', '/control/v1/node');
    expect(fresh.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });
});
