// The controller under test, reached over HTTP only: its URL and token come from the environment
// (bin/test-deployed.ts sets them), so the same suite runs against `npm start` and a deployed stack.
import * as z from 'zod';
import { nodeOut } from '../../../lambdas/api/response-schemas';

const targetEnv = z.object({
  DEPLOYED_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  DEPLOYED_TOKEN: z
    .string()
    .optional()
    .transform((token) => token || undefined),
});

export interface Target {
  url: string;
  /** A token with scope `admin` (accepted on every route), or none when the target has auth off. */
  token: string | undefined;
}

export function targetFromEnv(env: Record<string, string | undefined> = process.env): Target {
  const parsed = targetEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      'No target: run the suite with `npm run test:deployed -- --url URL [--token TOKEN]` ' +
        `(${z.prettifyError(parsed.error)})`,
    );
  }
  return { url: parsed.data.DEPLOYED_URL, token: parsed.data.DEPLOYED_TOKEN };
}

export interface Reply {
  status: number;
  /** The body parsed as JSON, or the text when it is not JSON. */
  body: unknown;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (for malformed bodies). */
  raw?: string;
  /** `null`: send no Authorization header even though the target has a token. */
  token?: string | null;
  headers?: Record<string, string>;
}

/** One HTTP call; a transport failure names the URL, so a wrong --url reads as such. */
export async function call(
  target: Target,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === null ? undefined : (opts.token ?? target.token);
  if (token) headers.authorization = `Bearer ${token}`;
  let body = opts.raw;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const url = `${target.url}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${method} ${url} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: /metrics, or an error page from something in front of the controller
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** `{"msg": ...}`, the shape of every error the controller answers with. */
export const errorBody = z.strictObject({ msg: z.string() });

/** Describes a reply for an assertion message: its status and (the start of) its body. */
export function shown(reply: Reply): string {
  return `${reply.status} ${reply.text.slice(0, 500)}`;
}

/** Parses a reply with a schema, failing with the reply in the message. */
export function parsed<T>(schema: z.ZodType<T>, reply: Reply): T {
  const result = schema.safeParse(reply.body);
  if (!result.success) throw new Error(`unexpected reply ${shown(reply)}: ${z.prettifyError(result.error)}`);
  return result.data;
}

export type Node = z.infer<typeof nodeOut>;

export async function listNodes(target: Target): Promise<Node[]> {
  const reply = await call(target, 'GET', '/control/v1/node');
  if (reply.status !== 200) throw new Error(`listing nodes: ${shown(reply)}`);
  return parsed(z.array(nodeOut), reply);
}

/** The suite's fleet requirement, stated once: migrate needs a second node to move a shard to. */
export const REQUIRED_SCHEDULABLE_NODES = 2;
