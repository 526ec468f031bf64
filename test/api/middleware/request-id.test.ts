// The request-id middleware: every reply, errors included, carries the caller's id or a fresh one.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { errorMiddleware } from '../../../lambdas/api/middleware/error-response';
import { requestIdMiddleware, requestIdOf } from '../../../lambdas/api/middleware/request-id';
import { NotFoundError } from '../../../lambdas/core/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function handlerWith(body: () => Promise<APIGatewayProxyStructuredResultV2>, seen: string[] = []) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(requestIdMiddleware())
    .use(errorMiddleware({ error: () => undefined }))
    .use({ before: (request) => void seen.push(requestIdOf(request)) })
    .handler(body);
}

const event = (headers: Record<string, string> = {}) => ({ headers }) as unknown as APIGatewayProxyEventV2;
const ok = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: 'null' });

describe('request id', () => {
  it("echoes the caller's x-request-id and hands it to the route", async () => {
    const seen: string[] = [];
    const result = await handlerWith(ok, seen)(event({ 'x-request-id': 'abc-123' }), {} as Context);
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'x-request-id': 'abc-123' });
    expect(seen).toEqual(['abc-123']);
  });

  it('issues a fresh UUID per request when none is given', async () => {
    const handler = handlerWith(ok);
    const first = await handler(event(), {} as Context);
    const second = await handler({} as APIGatewayProxyEventV2, {} as Context);
    expect(first.headers?.['x-request-id']).toMatch(UUID);
    expect(second.headers?.['x-request-id']).toMatch(UUID);
    expect(first.headers?.['x-request-id']).not.toBe(second.headers?.['x-request-id']);
  });

  it('replaces an id longer than 200 characters', async () => {
    const result = await handlerWith(ok)(event({ 'x-request-id': 'x'.repeat(201) }), {} as Context);
    expect(result.headers?.['x-request-id']).toMatch(UUID);
    const exact = await handlerWith(ok)(event({ 'x-request-id': 'y'.repeat(200) }), {} as Context);
    expect(exact.headers?.['x-request-id']).toBe('y'.repeat(200));
  });

  it('stamps error replies too', async () => {
    const failing = async (): Promise<APIGatewayProxyStructuredResultV2> => {
      throw new NotFoundError('nothing here');
    };
    const result = await handlerWith(failing)(event({ 'x-request-id': 'err-1' }), {} as Context);
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['x-request-id']).toBe('err-1');
    expect(JSON.parse(result.body!)).toEqual({ msg: 'NotFound: nothing here' });
  });
});
