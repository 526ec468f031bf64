// Route matching as API Gateway HTTP APIs do it: static paths before templates, {param} is one
// segment, {proxy+} the rest; parameters arrive percent-decoded, and one that does not decode is a 400.
import { describe, expect, it } from 'vitest';
import { defineRoute, type HttpMethod } from '../../lambdas/api/route';
import { RouteMatcher } from '../../lambdas/api/route-match';
import { ROUTES } from '../../lambdas/api/route-table';
import { BadRequestError } from '../../lambdas/core/errors';

const route = (method: HttpMethod, path: string) =>
  defineRoute({
    method,
    path,
    group: 'debug',
    scope: null,
    summary: path,
    responses: {},
    handler: async () => ({ status: 200, body: null }),
  });

const TENANT = '1f359dd625e519a1a4e8d7509690f6fc';

describe('RouteMatcher', () => {
  const matcher = new RouteMatcher([
    route('GET', '/v1/tenant/{tenant_id}'),
    route('GET', '/v1/tenant/special'),
    route('GET', '/v1/tenant/{tenant_id}/timeline/{proxy+}'),
    route('DELETE', '/v1/tenant/{tenant_id}'),
    route('GET', '/metrics.v1'),
  ]);

  it('binds a {param} to one segment', () => {
    const match = matcher.match('GET', `/v1/tenant/${TENANT}`);
    expect(match?.route.path).toBe('/v1/tenant/{tenant_id}');
    expect(match?.pathParameters).toEqual({ tenant_id: TENANT });
    expect(matcher.match('GET', `/v1/tenant/${TENANT}/extra`)).toBeUndefined();
    expect(matcher.match('GET', '/v1/tenant/')).toBeUndefined();
  });

  it('prefers a static path over a template, whatever the order in the table', () => {
    expect(matcher.match('GET', '/v1/tenant/special')?.route.path).toBe('/v1/tenant/special');
  });

  it('binds {proxy+} to the rest of the path, slashes included', () => {
    const match = matcher.match('GET', `/v1/tenant/${TENANT}/timeline/abc/detail/x`);
    expect(match?.route.path).toBe('/v1/tenant/{tenant_id}/timeline/{proxy+}');
    expect(match?.pathParameters).toEqual({ tenant_id: TENANT, proxy: 'abc/detail/x' });
    expect(matcher.match('GET', `/v1/tenant/${TENANT}/timeline/`)).toBeUndefined();
  });

  it('matches the method too', () => {
    expect(matcher.match('DELETE', `/v1/tenant/${TENANT}`)?.route.method).toBe('DELETE');
    expect(matcher.match('PUT', `/v1/tenant/${TENANT}`)).toBeUndefined();
  });

  it('takes static segments literally (a dot is not a wildcard)', () => {
    expect(matcher.match('GET', '/metrics.v1')).toBeDefined();
    expect(matcher.match('GET', '/metricsXv1')).toBeUndefined();
  });

  it('percent-decodes parameters', () => {
    expect(matcher.match('GET', '/v1/tenant/a%20b')?.pathParameters).toEqual({ tenant_id: 'a b' });
    // An encoded slash stays inside its segment, then decodes.
    expect(matcher.match('GET', '/v1/tenant/a%2Fb')?.pathParameters).toEqual({ tenant_id: 'a/b' });
  });

  it('rejects a malformed escape with a 400 naming the parameter', () => {
    for (const bad of ['%zz', 'abc%', '%e0%a4%a', '%ff']) {
      let thrown: unknown;
      try {
        matcher.match('DELETE', `/v1/tenant/${bad}`);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, bad).toBeInstanceOf(BadRequestError);
      expect((thrown as Error).message).toBe(
        `path field 'tenant_id': malformed percent-encoding in '${bad}'`,
      );
    }
  });

  it('shortens a long malformed parameter in the message', () => {
    const long = `%zz${'a'.repeat(500)}`;
    expect(() => matcher.match('DELETE', `/v1/tenant/${long}`)).toThrow(
      `malformed percent-encoding in '${long.slice(0, 64)}...'`,
    );
  });
});

describe('the route table under the matcher', () => {
  const matcher = new RouteMatcher(ROUTES);

  it('finds every route by its own template filled in', () => {
    for (const r of ROUTES) {
      const path = r.path.replace(/\{proxy\+\}/, 'a/b').replace(/\{[a-z_]+\}/g, 'x');
      expect(matcher.match(r.method, path)?.route, `${r.method} ${r.path}`).toBe(r);
    }
  });

  it('sends /v1/tenant/{id}/timeline to the list route, not to the proxy', () => {
    expect(matcher.match('GET', `/v1/tenant/${TENANT}/timeline`)?.route.path).toBe(
      '/v1/tenant/{tenant_id}/timeline',
    );
  });
});
