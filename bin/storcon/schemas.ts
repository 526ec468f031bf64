// The answers the CLI reads, checked with zod. Loose on purpose: a newer controller may add fields
// (utilization, preferred AZ, ...), and the CLI must keep working against it.
import * as z from 'zod';

export const nodeSchema = z.looseObject({
  id: z.number(),
  availability: z.string(),
  scheduling: z.string(),
  listen_http_addr: z.string(),
  listen_http_port: z.number(),
  availability_zone_id: z.string().nullish(),
});
export type Node = z.infer<typeof nodeSchema>;

export const schedulerSchema = z.looseObject({
  nodes: z.record(
    z.string(),
    z.looseObject({ attached_count: z.number(), secondary_count: z.number(), may_schedule: z.boolean() }),
  ),
});

export const shardSchema = z.looseObject({
  tenant_shard_id: z.string(),
  node_attached: z.number().nullable(),
  node_secondary: z.array(z.number()),
  last_error: z.string(),
  is_reconciling: z.boolean(),
  is_pending_compute_notification: z.boolean(),
  is_splitting: z.boolean(),
  scheduling_policy: z.string().optional(),
  preferred_az_id: z.string().nullish(),
});

export const tenantSchema = z.looseObject({
  tenant_id: z.string(),
  shards: z.array(shardSchema),
  stripe_size: z.number(),
  policy: z.unknown(),
  config: z.record(z.string(), z.unknown()),
});
export type Tenant = z.infer<typeof tenantSchema>;

export const nodeShardsSchema = z.looseObject({
  node_id: z.number(),
  shards: z.array(
    z.looseObject({
      tenant_shard_id: z.string(),
      is_intended_secondary: z.boolean().nullable(),
      is_observed_secondary: z.boolean().nullable(),
    }),
  ),
});

export const stepSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  status: z.string(),
  retries: z.number(),
  iterations: z.looseObject({ started: z.number(), succeeded: z.number(), failed: z.number() }).nullable(),
  error: z.looseObject({ error: z.string(), cause: z.string() }).nullable(),
});
export type Step = z.infer<typeof stepSchema>;

export const executionSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  workflow: z.string(),
  status: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  output: z.unknown(),
  error: z.looseObject({ error: z.string(), cause: z.string() }).nullable(),
  step: z.looseObject({ name: z.string(), status: z.string() }).nullish(),
});
export type Execution = z.infer<typeof executionSchema>;

export const executionDetailSchema = executionSchema.extend({ steps: z.array(stepSchema) });
export type ExecutionDetail = z.infer<typeof executionDetailSchema>;

/** The body of a 202: the workflow execution still running. */
export const stillRunningSchema = z.looseObject({ execution_id: z.string() });

export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`unexpected answer to ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}
