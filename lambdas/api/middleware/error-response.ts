import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, TransactionConflictError, VersionConflictError } from '../../core/errors';

export interface ErrorLogger {
  error(message: string, details: Record<string, unknown>): void;
}

/** Maps a thrown error to the original's `{"msg": ...}` body; unexpected errors hide their text. */
export function errorResponse(error: unknown, log: ErrorLogger): APIGatewayProxyStructuredResultV2 {
  if (error instanceof ApiError) {
    return {
      statusCode: error.status,
      headers: { 'content-type': 'application/json', ...error.headers },
      body: JSON.stringify(error.body !== undefined ? error.body : { msg: error.message }),
    };
  }
  if (error instanceof VersionConflictError) {
    // A race lost after the handler's own retries: the caller may simply try again.
    return {
      statusCode: 409,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msg: `Conflict: concurrent update, retry the request (${error.message})` }),
    };
  }
  if (error instanceof TransactionConflictError) {
    // DynamoDB kept refusing the write for concurrent transactions: nothing was written.
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': String(error.retryAfterSeconds) },
      body: JSON.stringify({ msg: `Unavailable: busy, retry the request (${error.message})` }),
    };
  }
  log.error('unhandled error', { error: error instanceof Error ? error.stack : String(error) });
  return {
    statusCode: 500,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ msg: 'Internal error' }),
  };
}

export function errorMiddleware(
  log: ErrorLogger,
): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const requestId = (request.internal as Record<string, unknown>).requestId;
      request.response = errorResponse(request.error, {
        error: (message, details) =>
          log.error(message, { ...details, requestId, routeKey: request.event.routeKey }),
      });
    },
  };
}
