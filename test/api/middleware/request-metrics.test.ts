// Request metrics: one count and one latency sample per request, by route template and status.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { errorMiddleware } from '../../../lambdas/api/middleware/error-response';
import { requestMetricsMiddleware } from '../../../lambdas/api/middleware/request-metrics';
import { MetricsRegistry } from '../../../lambdas/app/metrics-registry';
import { NotFoundError } from '../../../lambdas/core/errors';

/** As build-handler.ts stacks them: metrics outside the error mapping, so they see its status. */
function handlerWith(
  registry: MetricsRegistry | undefined,
  body: () => Promise<APIGatewayProxyStructuredResultV2>,
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(requestMetricsMiddleware(() => registry))
    .use(errorMiddleware({ error: () => undefined }))
    .handler(body);
}

const event = (routeKey?: string) => ({ routeKey, headers: {} }) as unknown as APIGatewayProxyEventV2;

describe('request metrics', () => {
  it('counts by route template and status, and observes the latency', async () => {
    const registry = new MetricsRegistry();
    const handler = handlerWith(registry, async () => ({ statusCode: 201, body: '{}' }));
    await handler(event('POST /v1/tenant'), {} as Context);
    await handler(event('POST /v1/tenant'), {} as Context);
    const labels = { route: 'POST /v1/tenant', status: '201' };
    expect(registry.httpRequests.get(labels)).toBe(2);
    expect(registry.httpDuration.count(labels)).toBe(2);
    expect(registry.render()).toContain(
      'storage_controller_http_requests_total{route="POST /v1/tenant",status="201"} 2',
    );
  });

  it('records the status the error middleware answered with', async () => {
    const registry = new MetricsRegistry();
    const handler = handlerWith(registry, async () => {
      throw new NotFoundError('no such tenant');
    });
    const result = await handler(event('GET /control/v1/tenant/{tenant_id}'), {} as Context);
    expect(result.statusCode).toBe(404);
    expect(registry.httpRequests.get({ route: 'GET /control/v1/tenant/{tenant_id}', status: '404' })).toBe(1);
  });

  it("labels an event without a route key 'unknown', and a reply without a status 500", async () => {
    const registry = new MetricsRegistry();
    await handlerWith(registry, async () => ({}) as APIGatewayProxyStructuredResultV2)(
      event(),
      {} as Context,
    );
    expect(registry.httpRequests.get({ route: 'unknown', status: '500' })).toBe(1);
  });

  it('does nothing before the services (and their registry) exist', async () => {
    const result = await handlerWith(undefined, async () => ({ statusCode: 200, body: 'null' }))(
      event('GET /status'),
      {} as Context,
    );
    expect(result.statusCode).toBe(200);
  });
});
