// Input parsing at the edge: 400 messages that name the field, or the unknown field.

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { tenantIdSchema } from '../../lambdas/api/schemas';
import { describeIssues, parseJsonBody, parseWith } from '../../lambdas/api/validation';
import { BadRequestError } from '../../lambdas/core/errors';

function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('describeIssues', () => {
  const schema = z
    .object({
      count: z.number(),
      nested: z.object({ warm: z.boolean() }).strict().optional(),
      list: z.array(z.string()).optional(),
    })
    .strict();
  const issues = (value: unknown) => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error('expected a failure');
    return describeIssues('body', result.error);
  };

  it('names the field by its dotted path', () => {
    expect(issues({ count: 'two' })).toMatch(/^body field 'count': /);
    expect(issues({ count: 1, list: ['a', 2] })).toMatch(/^body field 'list\.1': /);
  });

  it('names unknown fields, nested ones with their prefix', () => {
    expect(issues({ count: 1, bogus: 1, other: 2 })).toBe("body: unknown field 'bogus', 'other'");
    expect(issues({ count: 1, nested: { warm: true, cold: 1 } })).toBe("body: unknown field 'nested.cold'");
  });

  it('joins several problems with semicolons, and a root problem has no field', () => {
    expect(issues({ count: 'x', bogus: 1 }).split('; ')).toHaveLength(2);
    expect(issues([1])).toMatch(/^body: /);
  });
});

describe('parseWith', () => {
  it('returns the parsed (transformed) value', () => {
    const id = '1F359DD625E519A1A4E8D7509690F6FC';
    expect(parseWith(z.object({ tenant_id: tenantIdSchema }), { tenant_id: id }, 'path')).toEqual({
      tenant_id: id.toLowerCase(),
    });
  });

  it('is undefined when the route declares no schema', () => {
    expect(parseWith(undefined, { anything: 1 }, 'query')).toBeUndefined();
  });

  it('throws a 400 naming where and which field', () => {
    const error = thrownBy(() =>
      parseWith(z.object({ tenant_id: tenantIdSchema }), { tenant_id: 'nope' }, 'path'),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toMatch(/^path field 'tenant_id': /);
  });
});

describe('parseJsonBody', () => {
  it('parses JSON, base64-encoded or not', () => {
    expect(parseJsonBody('{"a":1}', false)).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('[1,2]').toString('base64'), true)).toEqual([1, 2]);
    expect(parseJsonBody('null', undefined)).toBeNull();
  });

  it('answers a missing or empty body with 400 missing request body', () => {
    for (const raw of [undefined, '']) {
      const error = thrownBy(() => parseJsonBody(raw, false));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toBe('missing request body');
    }
  });

  it('answers malformed JSON with 400 and the parser message', () => {
    const error = thrownBy(() => parseJsonBody('{"a":', false));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toMatch(/^Failed to parse json request: /);
  });
});
