// Which scope each route requires: `infra` for what deploy tooling does to nodes (register, list,
// status, drain, fill; later-features.md L2), by path, so that routes added later get it too.
import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../lambdas/api/auth/scopes';
import { defineRoute, ok } from '../../lambdas/api/route';
import { ROUTES } from '../../lambdas/api/route-table';

const scopeInTable = (method: string, path: string) =>
  ROUTES.find((r) => r.method === method && r.path === path)?.scope;

describe('infra scope', () => {
  it('node registration, listing and status take infra; configuration and shard listing stay admin', () => {
    expect(scopeInTable('POST', '/control/v1/node')).toBe('infra');
    expect(scopeInTable('GET', '/control/v1/node')).toBe('infra');
    expect(scopeInTable('GET', '/control/v1/node/{node_id}')).toBe('infra');
    expect(scopeInTable('PUT', '/control/v1/node/{node_id}/config')).toBe('admin');
    expect(scopeInTable('GET', '/control/v1/node/{node_id}/shards')).toBe('admin');
  });

  it('drain and fill (start and cancel) take infra whatever the route declares', () => {
    for (const method of ['PUT', 'DELETE'] as const) {
      for (const op of ['drain', 'fill']) {
        const route = defineRoute({
          method,
          path: `/control/v1/node/{node_id}/${op}`,
          group: 'node',
          scope: 'admin',
          summary: op,
          responses: {},
          handler: async () => ok(null),
        });
        expect(route.scope, `${method} ${op}`).toBe('infra');
      }
    }
  });

  it('leaves other routes as declared', () => {
    expect(scopeOf('PUT', '/control/v1/node/{node_id}/config', 'admin')).toBe('admin');
    expect(scopeOf('GET', '/control/v1/node/{node_id}/drain', 'admin')).toBe('admin');
    expect(scopeOf('POST', '/upcall/v1/re-attach', 'generations_api')).toBe('generations_api');
    expect(scopeOf('GET', '/status', null)).toBeNull();
  });
});
