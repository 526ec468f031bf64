// One Lambda handler for a route group: middy with the http router over the group's routes, and
// the request-id, metrics and error middlewares around it. Both runtimes call what this returns.
import middy from '@middy/core';
import httpRouter from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { NotFoundError } from '../core/errors';
import type { ApiContext } from './api-context';
import { invokeRoute } from './invoke-route';
import { type ErrorLogger, errorMiddleware } from './middleware/error-response';
import { requestIdMiddleware, requestIdOf } from './middleware/request-id';
import { requestMetricsMiddleware } from './middleware/request-metrics';
import type { AnyRoute } from './route';

export type GroupHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function buildGroupHandler(
  routes: AnyRoute[],
  getServices: () => Promise<ApiContext>,
  log: ErrorLogger = { error: (message, details) => console.error(message, details) },
): GroupHandler {
  let services: ApiContext | undefined;
  const router = httpRouter({
    routes: routes.map((route) => ({
      method: route.method,
      path: route.path,
      handler: async (event: APIGatewayProxyEventV2, context: Context) => {
        // The Lambda's timeout runs from here, a cold start's config load included.
        const receivedAt = Date.now();
        // Every invocation asks: the AWS composition root reloads configuration on a TTL.
        services = await getServices();
        const requestId =
          (context as Context & { requestIdFromMiddleware?: string }).requestIdFromMiddleware ?? '';
        return invokeRoute(route, event, services, requestId, receivedAt);
      },
    })),
    notFoundResponse: ({ method, path }: { method: string; path: string }) => {
      throw new NotFoundError(`no route for ${method} ${path}`);
    },
  });
  // Deadlines are enforced per call by the adapters, not by middy's process-wide abort signal.
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({
    timeoutEarlyInMillis: 0,
  })
    .use(requestIdMiddleware())
    .use(requestMetricsMiddleware(() => services?.metrics))
    .use(errorMiddleware(log))
    .use({
      before: (request) => {
        // Hand the request id to the route without widening the event.
        (request.context as Context & { requestIdFromMiddleware?: string }).requestIdFromMiddleware =
          requestIdOf(request);
      },
    })
    .handler(router as never);
  return handler as unknown as GroupHandler;
}
