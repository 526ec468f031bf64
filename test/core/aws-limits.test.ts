// The limits module: the figures AWS documents, and the checks the local runtime applies with them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DYNAMODB,
  executionNameProblem,
  HTTP_API,
  jsonBytes,
  LAMBDA,
  payloadProblem,
  STEP_FUNCTIONS,
  utf8Bytes,
} from '../../lambdas/core/aws-limits';
import { executionName, executionNamePrefix } from '../../lambdas/core/execution-names';
import { EXECUTION_OWNER_PREFIXES, isExecutionOwner } from '../../lambdas/core/leases';

describe('figures', () => {
  it('states the documented quotas in bytes and milliseconds', () => {
    expect(HTTP_API).toEqual({
      integrationTimeoutMs: 30_000,
      requestLineAndHeaderValuesBytes: 10_240,
      payloadBytes: 10_485_760,
    });
    expect(LAMBDA.syncRequestBytes).toBe(6_291_456);
    expect(LAMBDA.syncResponseBytes).toBe(6_291_556);
    expect(STEP_FUNCTIONS.payloadBytes).toBe(262_144);
    expect(STEP_FUNCTIONS.executionNameMaxChars).toBe(80);
    expect(DYNAMODB).toEqual({
      itemBytes: 409_600,
      transactWriteActions: 100,
      batchGetKeys: 100,
      batchGetBytes: 16_777_216,
      queryPageBytes: 1_048_576,
    });
  });
});

describe('payload sizes', () => {
  it('counts UTF-8 bytes of the JSON text, not characters', () => {
    expect(utf8Bytes('é')).toBe(2);
    expect(jsonBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    expect(jsonBytes(undefined)).toBe(0);
  });

  it('lets a payload of exactly 256 KiB through and refuses one byte more', () => {
    const fits = 'x'.repeat(STEP_FUNCTIONS.payloadBytes - 2); // the quotes make up the rest
    expect(payloadProblem(fits, 'output')).toBeUndefined();
    expect(payloadProblem(`${fits}x`, 'state output')).toBe(
      'state output is 262145 bytes, over the 262144-byte limit',
    );
  });
});

describe('execution names', () => {
  it('accepts the names the controller uses', () => {
    expect(executionNameProblem('migrate-1f359dd625e519a1a4e8d7509690f6fc-0102-7-1a2b3c4d')).toBeUndefined();
    expect(executionNameProblem('x'.repeat(80))).toBeUndefined();
    expect(executionNameProblem('név_ü.1')).toBeUndefined();
  });

  it('refuses what StartExecution answers InvalidName to', () => {
    expect(executionNameProblem('')).toMatch(/empty/);
    expect(executionNameProblem('x'.repeat(81))).toMatch(/81 characters, over the 80 allowed/);
    for (const bad of [' ', '\t', '<', '>', '{', '}', '[', ']', '?', '*', '"', '#', '%', '\\', '^', '|']) {
      expect(executionNameProblem(`a${bad}b`), JSON.stringify(bad)).toMatch(/is not allowed$/);
    }
    for (const bad of [
      '~',
      '`',
      '$',
      '&',
      ',',
      ';',
      ':',
      '/',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u009f',
      '\uffff',
    ]) {
      expect(executionNameProblem(`a${bad}b`), JSON.stringify(bad)).toMatch(/is not allowed$/);
    }
    expect(executionNameProblem('a\ud800b')).toMatch(/U\+D800/);
    expect(executionNameProblem('a\u{1f600}b')).toBeUndefined();
  });

  it('builds valid names that keep their nonce and their owner prefix, however long the parts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('split', 'migrate', 'evacuate', 'optimize', 'drain', 'fill', 'node-delete' as const),
        fc.array(fc.stringMatching(/^[0-9a-f-]{0,60}$/), { maxLength: 4 }),
        fc.stringMatching(/^[0-9a-f]{8}$/),
        (kind, parts, nonce) => {
          const name = executionName(kind, parts, nonce);
          expect(executionNameProblem(name)).toBeUndefined();
          expect(name.endsWith(`-${nonce}`)).toBe(true);
          expect(name.startsWith(`${kind}-`)).toBe(true);
          expect(name.startsWith(executionNamePrefix(kind, parts))).toBe(true);
          expect(isExecutionOwner(name)).toBe(true);
        },
      ),
    );
    expect(EXECUTION_OWNER_PREFIXES).toEqual([
      'split-',
      'migrate-',
      'evacuate-',
      'optimize-',
      'drain-',
      'fill-',
      'node-delete-',
    ]);
  });

  it('gives two evacuations of the same shard to the same node different names', () => {
    const shard = '1f359dd625e519a1a4e8d7509690f6fc-0102';
    expect(executionName('evacuate', [shard, 2])).not.toBe(executionName('evacuate', [shard, 2]));
  });
});
