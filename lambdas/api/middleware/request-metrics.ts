import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { MetricsRegistry } from '../../app/metrics-registry';

/** Counts requests and records latency by route template (not raw path: ids would explode the series). */
export function requestMetricsMiddleware(
  metrics: () => MetricsRegistry | undefined,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const record = (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>) => {
    const registry = metrics();
    if (!registry) return;
    const started = (request.internal as Record<string, unknown>).startedAt as number;
    const labels = {
      route: request.event.routeKey ?? 'unknown',
      status: String(request.response?.statusCode ?? 500),
    };
    registry.httpRequests.inc(labels);
    registry.httpDuration.observe(labels, (performance.now() - started) / 1000);
  };
  return {
    before: (request) => {
      (request.internal as Record<string, unknown>).startedAt = performance.now();
    },
    after: record,
    onError: record,
  };
}
