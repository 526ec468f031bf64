// The shape of one route in the route table: everything both runtimes, the auth middleware, the
// CDK stack and the docs need to know about it.
import type { z } from 'zod';
import type { ApiContext } from './api-context';
import { type Scope, scopeOf } from './auth/scopes';

export const ROUTE_GROUPS = ['status', 'node', 'tenant', 'upcall', 'debug'] as const;
/** Which Lambda function serves the route. */
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  headers: Record<string, string | undefined>;
  requestId: string;
  /** Path and query as received, for routes that proxy them. */
  rawPath: string;
  rawQueryString: string;
}

export interface Reply {
  status: number;
  /** JSON body; `null` is the original's empty success body. */
  body?: unknown;
  /** A non-JSON body (Prometheus text, proxied bytes). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * What a route answers with one status: a JSON body matching a schema, text of a media type, or
 * whatever the pageserver it proxies to said. Tests check every 2xx reply against it.
 */
export type ResponseSpec =
  | { kind: 'json'; schema: z.ZodType; description: string }
  | { kind: 'text'; mediaType: string; description: string }
  | { kind: 'passthrough'; description: string };

/** Replies by status code. Errors are `{"msg"}` on every route and are not listed. */
export type RouteResponses = Readonly<Record<number, ResponseSpec>>;

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** API Gateway template, e.g. `/control/v1/node/{node_id}/config`. */
  path: string;
  group: RouteGroup;
  /**
   * JWT scope required when auth is on; `null` for the unauthenticated probes. A path with a fixed
   * scope (auth/scopes.ts: node registration, status, drain, fill) gets that one instead.
   */
  scope: Scope | null;
  /** Waits for startup reconciliation before running (the original's "gated" routes). */
  gated?: boolean;
  summary: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: RouteResponses;
  handler(request: ApiRequest<P, Q, B>, services: ApiContext): Promise<Reply>;
}

/** Erases a route's parameter types so routes of different shapes share one table. */
export type AnyRoute = RouteDef<never, never, never>;

export function defineRoute<P = undefined, Q = undefined, B = undefined>(route: RouteDef<P, Q, B>): AnyRoute {
  const scope = scopeOf(route.method, route.path, route.scope);
  return { ...route, scope } as unknown as AnyRoute;
}

export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export const ok = (body: unknown = null): Reply => ({ status: 200, body });
export const created = (body: unknown): Reply => ({ status: 201, body });
