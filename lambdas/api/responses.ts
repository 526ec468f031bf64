// Building blocks for the route table's `responses`: how a route declares what it answers.
import * as z from 'zod';
import { executionIdOut } from './response-schemas';
import type { ResponseSpec } from './route';

/** Every error reply, whatever the route (middleware/error-response.ts). */
export const errorBodySchema = z
  .strictObject({ msg: z.string() })
  .meta({ id: 'Error', description: 'An error.' });

export const json = (schema: z.ZodType, description: string): ResponseSpec => ({
  kind: 'json',
  schema,
  description,
});

/** The original's empty body: the four bytes `null`. */
export const nullBody = (description: string): ResponseSpec => json(z.null(), description);

export const text = (mediaType: string, description: string): ResponseSpec => ({
  kind: 'text',
  mediaType,
  description,
});

/** A pageserver's answer relayed verbatim: any body, whatever its status. */
export const passthrough = (description: string): ResponseSpec => ({ kind: 'passthrough', description });

/** 202 while a workflow still runs: the execution to look up under /debug/v1/workflows. */
export const stillRunning = json(
  executionIdOut,
  'Still running when the request had to answer: the workflow execution, which Location shows.',
);
