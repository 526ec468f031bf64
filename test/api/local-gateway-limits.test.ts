// The local gateway refuses what API Gateway and Lambda would, with their answers: a body over
// 10 MB, an event over Lambda's 6 MB, a head over 10240 bytes, a handler past the integration
// timeout or its function's timeout, and a response over Lambda's 6 MB.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GroupHandler } from '../../lambdas/api/build-handler';
import { ROUTE_GROUPS, type RouteGroup } from '../../lambdas/api/route';
import { ROUTES } from '../../lambdas/api/route-table';
import { HTTP_API, LAMBDA } from '../../lambdas/core/aws-limits';
import { type Gateway, startGateway } from '../../local/gateway';

const TENANT = '1f359dd625e519a1a4e8d7509690f6fc';

/** What the next call's handler does; the default answers 200 at once. */
let behave: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let events: APIGatewayProxyEventV2[] = [];
const handlers = Object.fromEntries(
  ROUTE_GROUPS.map((group) => [
    group,
    (async (event, context) => {
      events.push(event);
      return behave(event, context);
    }) as GroupHandler,
  ]),
) as Record<RouteGroup, GroupHandler>;

let gateway: Gateway;
let quick: Gateway;
beforeAll(async () => {
  gateway = await startGateway({ host: '127.0.0.1', port: 0, routes: ROUTES, handlers });
  // Timeouts shortened so a test need not wait 30 s; the handlers below never finish by themselves.
  quick = await startGateway({
    host: '127.0.0.1',
    port: 0,
    routes: ROUTES,
    handlers,
    integrationTimeoutMs: 200,
    functionTimeoutMs: { node: 100 },
  });
});
afterAll(async () => {
  await Promise.all([gateway.stop(), quick.stop()]);
});
beforeEach(() => {
  events = [];
  behave = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: 'null' });
});

async function call(on: Gateway, method: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${on.url}${path}`, { method, ...init });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

describe('request size', () => {
  it('answers a body over 10 MB with 413 before any handler runs', async () => {
    const res = await call(gateway, 'POST', '/v1/tenant', { body: 'x'.repeat(HTTP_API.payloadBytes + 1) });
    expect(res.status).toBe(413);
    expect(res.text).toBe('HTTP content length exceeded 10485760 bytes.');
    expect(events).toHaveLength(0);
  });

  it('answers a body whose event is over Lambda’s 6 MB with 500, as a refused invocation', async () => {
    const res = await call(gateway, 'POST', '/v1/tenant', { body: 'x'.repeat(LAMBDA.syncRequestBytes) });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal Server Error' });
    expect(events).toHaveLength(0);
  });

  it('passes a body that fits to the handler whole', async () => {
    const body = 'y'.repeat(LAMBDA.syncRequestBytes - 64 * 1024);
    expect((await call(gateway, 'POST', '/v1/tenant', { body })).status).toBe(200);
    expect(events[0]?.body).toBe(body);
  });

  it('counts the request line and header values against 10240 bytes', async () => {
    const line = `GET /status HTTP/1.1`.length;
    const fits = await call(gateway, 'GET', '/status', { headers: { 'x-pad': 'p'.repeat(8 * 1024) } });
    expect(fits.status).toBe(200);
    const over = await call(gateway, 'GET', '/status', {
      headers: { 'x-pad': 'p'.repeat(HTTP_API.requestLineAndHeaderValuesBytes - line + 1) },
    });
    expect(over.status).toBe(431);
  });
});

describe('timeouts', () => {
  it('answers 503 Service Unavailable when the handler outlives the integration timeout, and drops its result', async () => {
    let release!: () => void;
    let finished = false;
    behave = () =>
      new Promise((resolve) => {
        release = () => {
          finished = true;
          resolve({ statusCode: 201, body: '"late"' });
        };
      });
    const res = await call(quick, 'DELETE', `/v1/tenant/${TENANT}`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual({ message: 'Service Unavailable' });
    release();
    expect(finished).toBe(true);
    // The gateway goes on serving; the late reply went nowhere.
    behave = async () => ({ statusCode: 200, body: '"next"' });
    expect((await call(quick, 'DELETE', `/v1/tenant/${TENANT}`)).text).toBe('"next"');
  });

  it('answers 502 when the function times out first, and tells the handler its remaining time', async () => {
    let remaining = -1;
    behave = (_event, context) => {
      remaining = context.getRemainingTimeInMillis();
      return new Promise(() => undefined);
    };
    const res = await call(quick, 'GET', '/control/v1/node');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal Server Error' });
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(100);
  });

  it('answers 502 for a handler that throws, as for any Lambda function error', async () => {
    behave = async () => {
      throw new Error('boom');
    };
    const res = await call(gateway, 'GET', '/status');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal Server Error' });
  });
});

describe('response size', () => {
  const reply = (bytes: number): APIGatewayProxyStructuredResultV2 => {
    const shell = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '' };
    return { ...shell, body: 'z'.repeat(bytes - JSON.stringify(shell).length) };
  };

  it('answers 502 for a Lambda response over 6 MB', async () => {
    behave = async () => reply(LAMBDA.syncResponseBytes + 1);
    const res = await call(gateway, 'GET', '/status');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal Server Error' });
  });

  it('passes a response of exactly the limit', async () => {
    behave = async () => reply(LAMBDA.syncResponseBytes);
    const res = await call(gateway, 'GET', '/status');
    expect(res.status).toBe(200);
    expect(res.text.length).toBeGreaterThan(LAMBDA.syncResponseBytes - 100);
  });
});
