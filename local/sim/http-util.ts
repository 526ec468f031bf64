// Small helpers shared by the simulated HTTP servers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP_API } from '../../lambdas/core/aws-limits';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Body to send instead of {"msg"} (some pageserver errors answer with JSON null). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Failed to parse json request: ${(error as Error).message}`);
  }
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const requestId = req.headers['x-request-id']?.toString() ?? randomUUID();
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
  res.end(JSON.stringify(body === undefined ? null : body));
}

export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The shard a `PUT /v1/tenant/<shard>/location_config` is for; undefined for any other request. */
export function locationConfigTarget(req: { method?: string; url?: string }): string | undefined {
  if (req.method !== 'PUT') return undefined;
  return /^\/v1\/tenant\/([^/?]+)\/location_config/.exec(req.url ?? '')?.[1];
}

/** POSTs an upcall (`re-attach`, `validate`) to the controller's control-plane API. */
/**
 * How long an upcall is waited for. A pageserver can do nothing before its re-attach answer, so it
 * waits as long as the gateway lets a call run (HTTP API's 30 s, which the local gateway applies
 * too); other upcalls 10 s.
 */
const upcallTimeoutMs = (name: string) =>
  name === 're-attach' ? HTTP_API.integrationTimeoutMs + 1_000 : 10_000;

export function postUpcall(base: string, name: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${base.endsWith('/') ? base : `${base}/`}${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(upcallTimeoutMs(name)),
  });
}
