// The local gateway's edge: bad URLs get a status and a `{"msg"}` naming the problem before any
// handler runs, and with validateResponses on a reply that breaks its route's schema is a 500.

import { connect } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GroupHandler } from '../../lambdas/api/build-handler';
import { ROUTE_GROUPS, type RouteGroup } from '../../lambdas/api/route';
import { ROUTES } from '../../lambdas/api/route-table';
import { type Gateway, MAX_URL_BYTES, startGateway } from '../../local/gateway';

const TENANT = '1f359dd625e519a1a4e8d7509690f6fc';

let events: APIGatewayProxyEventV2[] = [];
let answer: APIGatewayProxyStructuredResultV2;
const handlers = Object.fromEntries(
  ROUTE_GROUPS.map((group) => [
    group,
    (async (event) => {
      events.push(event);
      return answer;
    }) as GroupHandler,
  ]),
) as Record<RouteGroup, GroupHandler>;

let checked: Gateway;
let unchecked: Gateway;
beforeAll(async () => {
  checked = await startGateway({
    host: '127.0.0.1',
    port: 0,
    routes: ROUTES,
    handlers,
    validateResponses: true,
  });
  unchecked = await startGateway({ host: '127.0.0.1', port: 0, routes: ROUTES, handlers });
});
afterAll(async () => {
  await Promise.all([checked.stop(), unchecked.stop()]);
});
beforeEach(() => {
  events = [];
  answer = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: 'null' };
});

async function call(gateway: Gateway, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gateway.url}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as unknown, headers: res.headers };
}

describe('bad URLs', () => {
  it('answers a malformed percent-encoding in a path id with 400 naming the parameter', async () => {
    const res = await call(checked, 'DELETE', '/v1/tenant/%zz', { 'x-request-id': 'bad-escape' });
    expect(res.status, res.text).toBe(400);
    expect(res.body).toEqual({ msg: "path field 'tenant_id': malformed percent-encoding in '%zz'" });
    expect(res.headers.get('x-request-id')).toBe('bad-escape');
    const proxied = await call(checked, 'GET', `/v1/tenant/${TENANT}/timeline/a/%e0%a4%a`);
    expect(proxied.status).toBe(400);
    expect((proxied.body as { msg: string }).msg).toContain("path field 'proxy'");
    expect(events).toHaveLength(0);
  });

  it('still decodes well-formed escapes for the handler', async () => {
    const res = await call(checked, 'DELETE', `/v1/tenant/${TENANT.slice(0, 31)}%66`);
    expect(res.status).toBe(200);
    expect(events[0]?.pathParameters).toEqual({ tenant_id: `${TENANT.slice(0, 31)}f` });
    expect(events[0]?.rawPath).toBe(`/v1/tenant/${TENANT.slice(0, 31)}%66`);
  });

  it('answers a URL over 10 KiB with 414 and a message, however long it is', async () => {
    for (const length of [MAX_URL_BYTES + 1, 40_000, 200_000]) {
      const path = `/v1/tenant/${TENANT}/timeline/${'a'.repeat(length)}`;
      const res = await call(checked, 'GET', path);
      expect(res.status, `${length}`).toBe(414);
      expect((res.body as { msg: string }).msg).toMatch(/^URI Too Long: the request URL is /);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    }
    expect(events).toHaveLength(0);
  });

  it('passes a URL just under the limit to the handler', async () => {
    const prefix = `/v1/tenant/${TENANT}/timeline/`;
    // The whole head counts too (MAX_HEAD_BYTES), so leave room for the headers.
    const res = await call(unchecked, 'GET', `${prefix}${'a'.repeat(MAX_URL_BYTES - 1024 - prefix.length)}`);
    expect(res.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('answers headers over 10 KiB with 431 and a message', async () => {
    for (const length of [20_000, 100_000]) {
      const res = await call(checked, 'GET', '/status', { 'x-padding': 'p'.repeat(length) });
      expect(res.status, `${length}`).toBe(431);
      expect((res.body as { msg: string }).msg).toMatch(/^Request Header Fields Too Large/);
    }
    expect(events).toHaveLength(0);
  });

  it("answers what Node's parser cannot read with a status and a message too", async () => {
    const huge = await call(checked, 'GET', '/status', { 'x-padding': 'p'.repeat(9 * 1024 * 1024) });
    expect(huge.status).toBe(431);
    expect((huge.body as { msg: string }).msg).toMatch(/^Request Header Fields Too Large/);
    const url = new URL(checked.url);
    const garbled = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [head, body] = garbled.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(body!).msg).toMatch(/^Bad Request: malformed HTTP request/);
    expect(events).toHaveLength(0);
  });
});

describe('validateResponses', () => {
  it("fails a reply that breaks its route's schema with a 500 naming the route", async () => {
    answer = {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gen: 'seven' }),
    };
    const res = await call(checked, 'POST', '/debug/v1/attach-hook');
    expect(res.status).toBe(500);
    expect((res.body as { msg: string }).msg).toMatch(
      /^Response of POST \/debug\/v1\/attach-hook does not match its declared schema: status 200 body field 'gen'/,
    );
  });

  it('fails an undeclared success status', async () => {
    answer = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: 'null' };
    const res = await call(checked, 'GET', '/status');
    expect(res.status).toBe(500);
    expect((res.body as { msg: string }).msg).toBe(
      'Response of GET /status does not match its declared schema: status 201 is not declared',
    );
  });

  it('passes matching replies and errors through untouched', async () => {
    answer = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"gen":7}' };
    expect((await call(checked, 'POST', '/debug/v1/attach-hook')).body).toEqual({ gen: 7 });
    answer = {
      statusCode: 404,
      headers: { 'content-type': 'application/json' },
      body: '{"msg":"NotFound: x"}',
    };
    expect((await call(checked, 'POST', '/debug/v1/attach-hook')).status).toBe(404);
  });

  it('is off unless asked for', async () => {
    answer = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"gen":"seven"}' };
    const res = await call(unchecked, 'POST', '/debug/v1/attach-hook');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ gen: 'seven' });
  });
});
