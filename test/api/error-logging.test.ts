// An unexpected error is logged with the request id and route, and answered with a bare 500:
// neither the log line nor the response carries the caller's token or the error's text.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../lambdas/api/api-context';
import { buildGroupHandler } from '../../lambdas/api/build-handler';
import { defineRoute } from '../../lambdas/api/route';
import { MetricsRegistry } from '../../lambdas/app/metrics-registry';

describe('error logging', () => {
  it('logs the failure with request id and route but no token, and hides it from the caller', async () => {
    const lines: string[] = [];
    const route = defineRoute({
      method: 'GET',
      path: '/boom',
      group: 'debug',
      scope: null,
      summary: 'test',
      responses: {},
      handler: async () => {
        throw new Error('database password is hunter2');
      },
    });
    const services = { authKey: null, metrics: new MetricsRegistry() } as unknown as ApiContext;
    const handler = buildGroupHandler([route], async () => services, {
      error: (message, details) => lines.push(JSON.stringify({ message, ...details })),
    });
    const event = {
      version: '2.0',
      routeKey: 'GET /boom',
      rawPath: '/boom',
      rawQueryString: '',
      headers: { authorization: 'Bearer super-secret-token', 'x-request-id': 'req-42' },
      requestContext: { http: { method: 'GET', path: '/boom' } },
    } as unknown as APIGatewayProxyEventV2;
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe(JSON.stringify({ msg: 'Internal error' }));
    expect(result.headers?.['x-request-id']).toBe('req-42');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"requestId":"req-42"');
    expect(lines[0]).toContain('"routeKey":"GET /boom"');
    expect(lines[0]).not.toContain('super-secret-token');
  });
});
