// Stands in for the cloud control plane's compute hook: records every notification and can be
// told to fail, answer late, hang (then drop, with dropAfterMs), or record a notification and lose
// the answer (applyThenDrop), programmatically or over HTTP at /sim/v1/faults. A restart fault
// answers 503 here.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { type Fault, FaultInjector, faultSchema } from './faults';
import { close, HttpError, listen, readJson, sendJson } from './http-util';

export interface ReceivedNotification {
  body: {
    tenant_id: string;
    stripe_size: number | null;
    preferred_az: string | null;
    shards: Array<{ node_id: number; shard_number: number }>;
  };
  /** Whether an Authorization header came, and whether it carried the expected token. */
  authorization: 'none' | 'valid' | 'invalid';
  at: number;
}

export interface ComputeHookReceiver {
  url: string;
  notifications: ReceivedNotification[];
  faults: FaultInjector;
  waitFor(predicate: (all: ReceivedNotification[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startComputeHookReceiver(
  options: { host?: string; port?: number; expectedToken?: string } = {},
): Promise<ComputeHookReceiver> {
  const host = options.host ?? '127.0.0.1';
  const notifications: ReceivedNotification[] = [];
  const faults = new FaultInjector();
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://hook').pathname;
    const method = req.method ?? 'GET';
    const handle = async () => {
      if (path === '/sim/v1/faults') {
        if (method === 'PUT') {
          const parsed = faultSchema.safeParse(await readJson(req));
          if (!parsed.success) throw new HttpError(400, parsed.error.message);
          faults.add(parsed.data as Fault);
          return sendJson(req, res, 200, null);
        }
        if (method === 'DELETE') {
          faults.clear();
          for (const r of hanging) r.destroy();
          return sendJson(req, res, 200, null);
        }
        return sendJson(req, res, 200, faults.list());
      }
      if (path === '/sim/v1/notifications' && method === 'GET') return sendJson(req, res, 200, notifications);
      if (method !== 'PUT') throw new HttpError(405, `${method} not allowed`);
      const decision = faults.decide(method, path);
      const holdThenDrop = (dropAfterMs: number | undefined) => {
        if (dropAfterMs === 0) return void res.destroy();
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        if (dropAfterMs !== undefined) setTimeout(() => res.destroy(), dropAfterMs).unref();
      };
      if (decision.kind === 'hang') return holdThenDrop(decision.dropAfterMs);
      if (decision.kind === 'delay') await new Promise((r) => setTimeout(r, decision.ms));
      const body = (await readJson(req)) as ReceivedNotification['body'];
      if (decision.kind === 'fail')
        throw new HttpError(decision.status, `injected fault: ${decision.status}`);
      if (decision.kind === 'restart') throw new HttpError(503, 'injected fault: restarting');
      const header = req.headers.authorization;
      const authorization = !header
        ? 'none'
        : header === `Bearer ${options.expectedToken}`
          ? 'valid'
          : 'invalid';
      notifications.push({ body, authorization, at: Date.now() });
      if (decision.kind === 'applyThenDrop') return holdThenDrop(decision.dropAfterMs);
      sendJson(req, res, 200, null);
    };
    handle().catch((error) => {
      if (!res.headersSent)
        sendJson(req, res, error instanceof HttpError ? error.status : 500, {
          msg: (error as Error).message,
        });
    });
  });
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: `http://${host}:${port}/notify`,
    notifications,
    faults,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(notifications)) {
        if (Date.now() > deadline)
          throw new Error(`notifications did not arrive: ${JSON.stringify(notifications)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      for (const r of hanging) r.destroy();
      await close(server);
    },
  };
}
