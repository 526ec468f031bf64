// The check the local gateway runs on successful replies when validateResponses is on.

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { responseProblem } from '../../lambdas/api/response-check';
import { json, nullBody, passthrough, text } from '../../lambdas/api/responses';
import { defineRoute, type RouteResponses } from '../../lambdas/api/route';

const route = (responses: RouteResponses) =>
  defineRoute({
    method: 'GET',
    path: '/x',
    group: 'debug',
    scope: null,
    summary: 'x',
    responses,
    handler: async () => ({ status: 200, body: null }),
  });

const reply = (statusCode: number, body: string, contentType = 'application/json') => ({
  statusCode,
  headers: { 'content-type': contentType },
  body,
});

describe('responseProblem', () => {
  const shaped = route({
    200: json(z.strictObject({ gen: z.number().nullable() }), 'ok'),
    202: nullBody('later'),
  });

  it('accepts replies that match their status', () => {
    expect(responseProblem(shaped, reply(200, '{"gen":3}'))).toBeUndefined();
    expect(responseProblem(shaped, reply(202, 'null'))).toBeUndefined();
    // Base64 bodies are decoded first.
    const encoded = { ...reply(200, Buffer.from('{"gen":null}').toString('base64')), isBase64Encoded: true };
    expect(responseProblem(shaped, encoded)).toBeUndefined();
  });

  it('names the field that does not match, and an undeclared one', () => {
    expect(responseProblem(shaped, reply(200, '{"gen":"3"}'))).toMatch(/^status 200 body field 'gen': /);
    expect(responseProblem(shaped, reply(200, '{"gen":3,"extra":1}'))).toBe(
      "status 200 body: unknown field 'extra'",
    );
    expect(responseProblem(shaped, reply(202, '{}'))).toMatch(/^status 202 body: /);
  });

  it('rejects a 2xx status the route does not declare', () => {
    expect(responseProblem(shaped, reply(201, 'null'))).toBe('status 201 is not declared');
  });

  it('treats a missing status code as 200, as API Gateway does', () => {
    expect(responseProblem(shaped, { headers: { 'content-type': 'application/json' }, body: '{}' })).toMatch(
      /^status 200 body field 'gen'/,
    );
  });

  it('leaves errors alone: they are {"msg"} on every route', () => {
    expect(responseProblem(shaped, reply(404, '{"msg":"NotFound: x"}'))).toBeUndefined();
    expect(responseProblem(shaped, reply(500, 'not even json', 'text/plain'))).toBeUndefined();
  });

  it('wants JSON where JSON is declared', () => {
    expect(responseProblem(shaped, reply(200, '{"gen":1}', 'text/plain'))).toBe(
      "content-type 'text/plain' is not JSON",
    );
    expect(responseProblem(shaped, reply(200, '{"gen":'))).toMatch(/^body is not JSON: /);
  });

  it('checks the media type of a text reply', () => {
    const metrics = route({ 200: text('text/plain', 'metrics') });
    expect(responseProblem(metrics, reply(200, 'a 1\n', 'text/plain; version=0.0.4'))).toBeUndefined();
    expect(responseProblem(metrics, reply(200, '"a"'))).toBe(
      "content-type 'application/json' is not text/plain",
    );
  });

  it('lets a relayed reply through as it is', () => {
    const relayed = route({ 200: passthrough('relayed') });
    expect(responseProblem(relayed, reply(200, 'anything', 'application/octet-stream'))).toBeUndefined();
  });
});
