// The compute-hook client against a real HTTP server that answers as told.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backoffMs, ComputeHookClient } from '../../lambdas/adapters/compute-hook-client';
import type { ComputeNotification } from '../../lambdas/core/ports';

let server: Server;
let url: string;
let script: number[] = [];
let received: Array<{ auth: string | undefined; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(body) });
      const status = script.shift() ?? 200;
      if (status === 0) return req.socket.destroy();
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  received = [];
});

const notification: ComputeNotification = {
  tenant_id: '1f359dd625e519a1a4e8d7509690f6fc',
  stripe_size: 32768,
  preferred_az: null,
  shards: [
    { node_id: 1, shard_number: 0 },
    { node_id: 2, shard_number: 1 },
  ],
};

describe('compute hook client', () => {
  it('PUTs the notification with the control-plane token', async () => {
    const client = new ComputeHookClient({ url, token: 'secret-token' });
    expect(await client.notify(notification, Date.now() + 5000)).toEqual({ ok: true });
    expect(received).toEqual([{ auth: 'Bearer secret-token', body: notification }]);
  });

  it('retries 502-504, 423 and transport errors, then succeeds', async () => {
    script = [502, 503, 0, 504];
    const client = new ComputeHookClient({ url });
    expect(await client.notify(notification, Date.now() + 10_000)).toEqual({ ok: true });
    expect(received).toHaveLength(5);
  });

  it('treats 400, 401, 403 and 404 as fatal without retrying', async () => {
    for (const status of [400, 401, 403, 404]) {
      script = [status];
      received = [];
      const result = await new ComputeHookClient({ url }).notify(notification, Date.now() + 5000);
      expect(result).toMatchObject({ ok: false, fatal: true });
      expect(received).toHaveLength(1);
    }
  });

  it('gives up on other statuses without retrying, as not fatal', async () => {
    script = [500];
    const result = await new ComputeHookClient({ url }).notify(notification, Date.now() + 5000);
    expect(result).toEqual({ ok: false, fatal: false, message: 'compute hook answered 500' });
    expect(received).toHaveLength(1);
  });

  it('stops retrying at the deadline and reports the last failure', async () => {
    script = Array(100).fill(503);
    const result = await new ComputeHookClient({ url }).notify(notification, Date.now() + 1500);
    expect(result).toMatchObject({ ok: false, fatal: false, message: 'compute hook answered 503' });
    expect(received.length).toBeGreaterThan(1);
    expect(received.length).toBeLessThan(100);
  });

  it('reports an unreachable hook without throwing', async () => {
    const result = await new ComputeHookClient({ url: 'http://127.0.0.1:1/notify' }).notify(
      notification,
      Date.now() + 300,
    );
    expect(result).toMatchObject({ ok: false, fatal: false });
    expect((result as { message: string }).message).toMatch(/unreachable/);
  });

  it('backs off as min(1.1^n, 3) seconds', () => {
    expect(backoffMs(1)).toBe(0);
    expect(backoffMs(2)).toBeCloseTo(1100);
    expect(backoffMs(50)).toBe(3000);
  });
});
