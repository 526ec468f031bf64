// API Gateway's path rules over the route table: what the local matcher accepts must deploy too.
import { describe, expect, it } from 'vitest';
import { routeTableProblems } from '../../lambdas/api/route-rules';
import { ROUTES } from '../../lambdas/api/route-table';

const T = '/v1/tenant/{tenant_id}';

describe('the route table', () => {
  // Defect 2: `{tenant_shard_id}/migrate` beside the `{tenant_id}` routes, and `{proxy+}` beside
  // `{timeline_id}`, were refused by API Gateway while the local gateway served them.
  it('follows API Gateway HTTP API path rules', () => {
    expect(routeTableProblems(ROUTES)).toEqual([]);
  });
});

describe('routeTableProblems', () => {
  it('accepts one variable name per level, a greedy variable last, and methods sharing a path', () => {
    expect(
      routeTableProblems([
        { method: 'GET', path: `${T}/timeline/{timeline_id}` },
        { method: 'DELETE', path: `${T}/timeline/{timeline_id}` },
        { method: 'GET', path: `${T}/timeline/{timeline_id}/{proxy+}` },
        { method: 'GET', path: `${T}/timeline` },
        { method: 'GET', path: '/v1/node/{node_id}' },
      ]),
    ).toEqual([]);
  });

  it('refuses two variable names at one level, whatever the methods and depths', () => {
    expect(
      routeTableProblems([
        { method: 'GET', path: '/control/v1/tenant/{tenant_id}/locate' },
        { method: 'PUT', path: '/control/v1/tenant/{tenant_shard_id}/migrate' },
      ]),
    ).toEqual([
      'The provided route key PUT /control/v1/tenant/{tenant_shard_id}/migrate has a conflicting variable on the same hierarchical level as GET /control/v1/tenant/{tenant_id}/locate',
    ]);
  });

  it('refuses a greedy variable beside a named one', () => {
    expect(
      routeTableProblems([
        { method: 'DELETE', path: `${T}/timeline/{timeline_id}` },
        { method: 'GET', path: `${T}/timeline/{proxy+}` },
      ]),
    ).toHaveLength(1);
  });

  it('refuses a greedy variable before the end, and partial variables', () => {
    expect(routeTableProblems([{ method: 'GET', path: '/a/{proxy+}/b' }])).toEqual([
      'GET /a/{proxy+}/b: the greedy variable {proxy+} must be the last segment',
    ]);
    expect(routeTableProblems([{ method: 'GET', path: '/a/x{id}' }])).toEqual([
      "GET /a/x{id}: segment 'x{id}' is neither literal nor one whole {variable}",
    ]);
  });

  it('refuses two routes that match the same requests', () => {
    expect(
      routeTableProblems([
        { method: 'GET', path: '/a/{id}' },
        { method: 'GET', path: '/a/{id}' },
      ]),
    ).toEqual(['GET /a/{id} matches the same requests as GET /a/{id}']);
  });
});
