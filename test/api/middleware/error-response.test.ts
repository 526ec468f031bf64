// Errors become the original's `{"msg"}` replies; unexpected ones are logged and hide their text.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { errorMiddleware, errorResponse } from '../../../lambdas/api/middleware/error-response';
import { requestIdMiddleware } from '../../../lambdas/api/middleware/request-id';
import {
  BadRequestError,
  ConflictError,
  TransactionConflictError,
  UnavailableError,
  VersionConflictError,
} from '../../../lambdas/core/errors';

function recorder() {
  const lines: Array<{ message: string; details: Record<string, unknown> }> = [];
  return {
    lines,
    log: { error: (message: string, details: Record<string, unknown>) => lines.push({ message, details }) },
  };
}

describe('errorResponse', () => {
  it('answers an ApiError with its status, headers and message', () => {
    const { lines, log } = recorder();
    const result = errorResponse(new UnavailableError('Shutting down', 3), log);
    expect(result).toEqual({
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '3' },
      body: JSON.stringify({ msg: 'Shutting down' }),
    });
    expect(lines).toEqual([]);
  });

  it("sends an ApiError's own body instead of {msg} when it has one (JSON null included)", () => {
    const error = new ConflictError('still deleting');
    error.body = null;
    const result = errorResponse(error, recorder().log);
    expect(result.statusCode).toBe(409);
    expect(result.body).toBe('null');
  });

  it('turns a lost optimistic-concurrency race into a retryable 409', () => {
    const result = errorResponse(new VersionConflictError('shard x version 3'), recorder().log);
    expect(result.statusCode).toBe(409);
    expect(JSON.parse(result.body!)).toEqual({
      msg: 'Conflict: concurrent update, retry the request (shard x version 3)',
    });
  });

  it('turns DynamoDB transaction conflicts that outlasted the retries into a 503 with a retry hint', () => {
    const { lines, log } = recorder();
    const result = errorResponse(new TransactionConflictError('transaction kept meeting others'), log);
    expect(result).toEqual({
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
      body: JSON.stringify({ msg: 'Unavailable: busy, retry the request (transaction kept meeting others)' }),
    });
    expect(lines).toEqual([]);
  });

  it('logs anything else with its stack and answers a bare 500', () => {
    const { lines, log } = recorder();
    const result = errorResponse(new TypeError('secret detail'), log);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body!)).toEqual({ msg: 'Internal error' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toBe('unhandled error');
    expect(String(lines[0]!.details.error)).toContain('TypeError: secret detail');
    const thrownString = errorResponse('just a string', log);
    expect(thrownString.statusCode).toBe(500);
    expect(lines[1]!.details.error).toBe('just a string');
  });
});

describe('errorMiddleware', () => {
  const handler = (log: ReturnType<typeof recorder>['log'], error: unknown) =>
    middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(requestIdMiddleware())
      .use(errorMiddleware(log))
      .handler(async () => {
        throw error;
      });
  const event = {
    routeKey: 'GET /boom',
    headers: { 'x-request-id': 'req-7' },
  } as unknown as APIGatewayProxyEventV2;

  it('replaces the thrown error with its reply', async () => {
    const { lines, log } = recorder();
    const result = await handler(log, new BadRequestError("body field 'x': bad"))(event, {} as Context);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body!)).toEqual({ msg: "body field 'x': bad" });
    expect(lines).toEqual([]);
  });

  it('logs an unexpected error with the request id and route', async () => {
    const { lines, log } = recorder();
    const result = await handler(log, new Error('boom'))(event, {} as Context);
    expect(result.statusCode).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.details).toMatchObject({ requestId: 'req-7', routeKey: 'GET /boom' });
  });
});
