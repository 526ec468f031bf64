// Runs one route for one API Gateway v2 event: auth, readiness gate, input parsing, the handler,
// and the reply in payload-2.0 form. The request's deadline (its route group's code budget from
// its arrival) bounds every wait, the readiness gate's included.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { withDeadline } from '../app/context';
import { TimeoutError } from '../core/errors';
import { isReady } from '../core/ports';
import type { ApiContext } from './api-context';
import { authorize } from './auth/verify-token';
import type { AnyRoute, ApiRequest, Reply } from './route';
import { routeTimeouts } from './route-budgets';
import { parseJsonBody, parseWith } from './validation';

const READY_POLL_MS = 250;

async function waitForReadiness(services: ApiContext): Promise<void> {
  const deadline = Math.min(Date.now() + services.readinessWaitMs, services.deadline);
  for (;;) {
    if (isReady(await services.meta.get())) return;
    if (Date.now() >= deadline) throw new TimeoutError('Timed out waiting for service readiness');
    await new Promise((r) => setTimeout(r, Math.min(READY_POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}

export function toResult(reply: Reply): APIGatewayProxyStructuredResultV2 {
  if (reply.text !== undefined) {
    return {
      statusCode: reply.status,
      headers: { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', ...reply.headers },
      body: reply.text,
    };
  }
  return {
    statusCode: reply.status,
    headers: { 'content-type': 'application/json', ...reply.headers },
    body: JSON.stringify(reply.body === undefined ? null : reply.body),
  };
}

/** When a request that arrived at `receivedAt` must answer. */
export function requestDeadline(route: AnyRoute, services: ApiContext, receivedAt: number): number {
  return receivedAt + (services.requestBudgetMs ?? routeTimeouts(route.group).codeBudgetMs);
}

export async function invokeRoute(
  route: AnyRoute,
  event: APIGatewayProxyEventV2,
  shared: ApiContext,
  requestId: string,
  receivedAt = Date.now(),
): Promise<APIGatewayProxyStructuredResultV2> {
  const services = withDeadline(shared, requestDeadline(route, shared, receivedAt));
  const headers = event.headers ?? {};
  if (services.authKey && route.scope !== null)
    authorize(headers.authorization, services.authKey, route.scope);
  // Parse before waiting: bad input is rejected at once, whatever the service's state.
  const params = parseWith(route.params, event.pathParameters ?? {}, 'path');
  const query = parseWith(route.query, event.queryStringParameters ?? {}, 'query');
  const body = route.body
    ? parseWith(route.body, parseJsonBody(event.body, event.isBase64Encoded), 'body')
    : undefined;
  if (route.gated) await waitForReadiness(services);
  const request: ApiRequest<never, never, never> = {
    params: params as never,
    query: query as never,
    body: body as never,
    headers,
    requestId,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString ?? '',
  };
  return toResult(await route.handler(request, services));
}
