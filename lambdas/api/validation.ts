// Turns raw event parts into typed route input, with 400 messages that name the problem.
import type { z } from 'zod';
import { BadRequestError } from '../core/errors';

function describePath(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}

/** One readable sentence per zod issue, naming the field (or the unknown field). */
export function describeIssues(where: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const prefix = issue.path.length > 0 ? `${describePath(issue.path)}.` : '';
        return `${where}: unknown field ${issue.keys.map((k) => `'${prefix}${k}'`).join(', ')}`;
      }
      const field = issue.path.length > 0 ? ` field '${describePath(issue.path)}'` : '';
      return `${where}${field}: ${issue.message}`;
    })
    .join('; ');
}

export function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw new BadRequestError(describeIssues(where, result.error));
  return result.data;
}

/** JSON request bodies: a missing body where one is required and malformed JSON are both 400. */
export function parseJsonBody(raw: string | undefined, isBase64: boolean | undefined): unknown {
  if (raw === undefined || raw === '') throw new BadRequestError('missing request body');
  const text = isBase64 ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`Failed to parse json request: ${(error as Error).message}`);
  }
}
