// Runs one route for one API Gateway v2 event: auth, readiness gate, input parsing, the handler,
// and the reply in payload-2.0 form.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { TimeoutError } from '../core/errors';
import { isReady } from '../core/ports';
import type { ApiContext } from './api-context';
import { authorize } from './auth/verify-token';
import type { AnyRoute, ApiRequest, Reply } from './route';
import { parseJsonBody, parseWith } from './validation';

const READY_POLL_MS = 250;

async function waitForReadiness(services: ApiContext): Promise<void> {
  const deadline = Date.now() + services.readinessWaitMs;
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

export async function invokeRoute(
  route: AnyRoute,
  event: APIGatewayProxyEventV2,
  services: ApiContext,
  requestId: string,
): Promise<APIGatewayProxyStructuredResultV2> {
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
