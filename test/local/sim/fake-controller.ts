// A tiny real HTTP server playing the controller's upcall API (re-attach, validate) for the
// simulator tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReAttachEntry } from '../../../local/sim/pageserver-state';

export interface FakeController {
  url: string;
  reAttachStatus: number;
  reAttachTenants: ReAttachEntry[];
  /** The bodies of the re-attach calls received. */
  reAttachRequests: unknown[];
  validCalls: unknown[];
  valid: boolean;
  calls: number;
  server: Server;
}

export async function fakeController(): Promise<FakeController> {
  const fake = {
    reAttachStatus: 200,
    reAttachTenants: [],
    reAttachRequests: [],
    validCalls: [],
    valid: true,
    calls: 0,
  } as unknown as FakeController;
  fake.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      fake.calls += 1;
      if (req.url?.endsWith('/re-attach')) {
        fake.reAttachRequests.push(JSON.parse(body));
        res.writeHead(fake.reAttachStatus, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify(
            fake.reAttachStatus === 200
              ? { tenants: fake.reAttachTenants }
              : { msg: 'NotFound: Node not registered' },
          ),
        );
      }
      const parsed = JSON.parse(body) as { tenants: Array<{ id: string }> };
      fake.validCalls.push(parsed);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tenants: parsed.tenants.map((t) => ({ id: t.id, valid: fake.valid })) }));
    });
  });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/upcall/v1`;
  return fake;
}
