import { randomUUID } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

export function requestIdOf(request: Request): string {
  return (request.internal as Record<string, unknown>).requestId as string;
}

/** Echoes the caller's x-request-id, or issues a fresh UUID, on every response including errors. */
export function requestIdMiddleware(): middy.MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2
> {
  const stamp = (request: Request) => {
    if (!request.response) return;
    request.response.headers = { ...request.response.headers, 'x-request-id': requestIdOf(request) };
  };
  return {
    before: (request) => {
      const given = request.event.headers?.['x-request-id'];
      (request.internal as Record<string, unknown>).requestId =
        given && given.length <= 200 ? given : randomUUID();
    },
    after: stamp,
    onError: stamp,
  };
}
