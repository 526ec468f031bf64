// CloudWatch metrics (issue 13, defect 8): the figures /metrics shows locally also go out as EMF
// lines (Powertools Metrics), flushed once per invocation, with the labels as dimensions. Checked
// on what is really written to stdout, and through a deployed handler's own wiring.

import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { EmfMetricSink } from '../../lambdas/adapters/emf-metric-sink';
import { MetricsRegistry } from '../../lambdas/app/metrics-registry';

type Emf = {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
};

/** What `run` writes to stdout, as EMF documents (other lines are left out). */
async function emfWrittenBy(run: () => unknown): Promise<Emf[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return write(chunk as never, ...(rest as []));
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return lines.filter((l) => l.startsWith('{') && l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

const byName = (docs: Emf[], name: string) =>
  docs.filter((d) => d._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name));

describe('EMF metrics', () => {
  it('writes what the registry recorded at flush, one document per label set, labels as dimensions', async () => {
    const sink = new EmfMetricSink(
      new Metrics({
        namespace: 'StorageControllerTest',
        serviceName: 'svc',
        defaultDimensions: { stage: 'test' },
      }),
    );
    const registry = new MetricsRegistry().withSink(sink);
    const route = { route: 'GET /v1/tenant/{tenant_id}', status: '200' };
    registry.httpRequests.inc(route);
    registry.httpRequests.inc(route);
    registry.httpDuration.observe(route, 0.25);
    registry.reconcileMetrics().reconcileCompleted('error');
    registry.schedulingErrors.inc();
    // Nothing is written before the invocation ends.
    expect(await emfWrittenBy(() => undefined)).toEqual([]);
    const docs = await emfWrittenBy(() => sink.flush());
    expect(docs).toHaveLength(3);
    for (const doc of docs) expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe('StorageControllerTest');

    const [requests] = byName(docs, 'storage_controller_http_requests_total');
    expect(requests!._aws.CloudWatchMetrics[0]!.Dimensions[0]!.sort()).toEqual([
      'route',
      'service',
      'stage',
      'status',
    ]);
    expect(requests).toMatchObject({
      route: 'GET /v1/tenant/{tenant_id}',
      status: '200',
      service: 'svc',
      stage: 'test',
      storage_controller_http_requests_total: [1, 1],
      storage_controller_http_request_duration_seconds: 0.25,
    });
    expect(requests!._aws.CloudWatchMetrics[0]!.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'storage_controller_http_requests_total', Unit: 'Count' },
        { Name: 'storage_controller_http_request_duration_seconds', Unit: 'Seconds' },
      ]),
    );
    expect(byName(docs, 'storage_controller_reconcile_complete')[0]).toMatchObject({
      status: 'error',
      storage_controller_reconcile_complete: 1,
    });
    expect(byName(docs, 'storage_controller_scheduling_errors')[0]).toMatchObject({
      storage_controller_scheduling_errors: 1,
    });
    // Flushed means forgotten: the next invocation starts empty, and writes nothing if it records nothing.
    expect(await emfWrittenBy(() => sink.flush())).toEqual([]);
    // The Prometheus text is the same as without a sink.
    expect(registry.render()).toContain(
      'storage_controller_http_requests_total{route="GET /v1/tenant/{tenant_id}",status="200"} 2',
    );
  });

  it('is flushed by a deployed handler when its invocation ends', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      TABLE_NAME: 'emf-test',
      STAGE: 'test',
      POWERTOOLS_METRICS_NAMESPACE: 'StorageControllerTest',
      POWERTOOLS_SERVICE_NAME: 'storage-controller',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    });
    try {
      const { handler } = await import('../../lambdas/handlers/status');
      const event = {
        version: '2.0',
        routeKey: 'GET /status',
        rawPath: '/status',
        rawQueryString: '',
        headers: {},
        requestContext: {
          http: { method: 'GET', path: '/status' },
          requestId: 'r1',
          routeKey: 'GET /status',
        },
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2;
      const docs = await emfWrittenBy(async () => {
        expect((await handler(event, {} as Context)).statusCode).toBe(200);
      });
      expect(byName(docs, 'storage_controller_http_requests_total')[0]).toMatchObject({
        route: 'GET /status',
        status: '200',
        stage: 'test',
        storage_controller_http_requests_total: 1,
      });
    } finally {
      process.env = saved;
    }
  });
});
