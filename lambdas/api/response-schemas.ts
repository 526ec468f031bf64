// The JSON shapes the API answers with (reference/wire-formats.md §2, §3, §6, §7 and
// modern-additions.md), as zod schemas: the OpenAPI document is generated from them and tests check
// every successful reply against them. Our own shapes are strict, so an undeclared field fails.
import * as z from 'zod';
import { MAX_U8, MAX_U32 } from '../core/ids';
import { LOCATION_MODES } from '../core/model/location-config';
import { NODE_AVAILABILITIES, NODE_SCHEDULING_POLICIES } from '../core/model/node';
import { SHARD_SCHEDULING_POLICIES } from '../core/model/placement-policy';
import { WORKFLOWS } from '../core/ports';
import { tenantConfigShape } from './tenant-config-schema';

// Ids are printed in lower case; a sharded id carries its -NNCC suffix.
export const tenantIdOut = z.string().regex(/^[0-9a-f]{32}$/);
export const timelineIdOut = z.string().regex(/^[0-9a-f]{32}$/);
export const tenantShardIdOut = z.string().regex(/^[0-9a-f]{32}(-[0-9a-f]{4})?$/);
export const nodeIdOut = z.number().int().nonnegative();
const u8 = z.number().int().min(0).max(MAX_U8);
const u32 = z.number().int().min(0).max(MAX_U32);
const u64 = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65535);
/** `{hi:X}/{lo:X}`, hex halves without padding. */
const lsn = z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/);

/** `{"Attached": n}`, `"Secondary"` or `"Detached"`: the input-only aliases are never emitted. */
export const placementPolicyOut = z
  .union([z.strictObject({ Attached: u8 }), z.literal('Secondary'), z.literal('Detached')])
  .meta({ id: 'PlacementPolicy' });

/** TenantConfig on output: every key present, null when unset (wire-formats §3.1). */
export const tenantConfigOut = z
  .strictObject(
    Object.fromEntries(
      Object.entries(tenantConfigShape).map(([key, field]) => [key, field.unwrap()]),
    ) as Record<string, z.ZodType>,
  )
  .meta({ id: 'TenantConfig' });

/**
 * `GET /v1/tenant/{tenant_id}/config`: the pageserver's shape; the controller has no global
 * defaults, so both keys carry the tenant's own config.
 */
export const tenantConfigGetOut = z
  .strictObject({ tenant_specific_overrides: tenantConfigOut, effective_config: tenantConfigOut })
  .meta({ id: 'TenantConfigResponse' });

/** TenantCreateResponse: `generation` is the one before the first attach (a quirk kept). */
export const tenantCreateOut = z
  .strictObject({
    shards: z.array(
      z.strictObject({ shard_id: tenantShardIdOut, node_id: nodeIdOut.nullable(), generation: u32 }),
    ),
  })
  .meta({ id: 'TenantCreateResponse' });

/** TenantLocationConfigResponse: only shards with an intended attached node. */
export const tenantLocationConfigOut = z
  .strictObject({
    shards: z.array(z.strictObject({ shard_id: tenantShardIdOut, node_id: nodeIdOut })),
  })
  .meta({ id: 'TenantLocationConfigResponse' });

export const shardSplitOut = z
  .strictObject({ new_shards: z.array(tenantShardIdOut) })
  .meta({ id: 'TenantShardSplitResponse' });

/**
 * ReAttachResponse, as newer pageservers read it: the shards to attach, each in its new
 * generation, and the secondaries to keep (gen null); stripe_size for sharded tenants.
 */
export const reAttachOut = z
  .strictObject({
    tenants: z.array(
      z.strictObject({
        id: tenantShardIdOut,
        gen: u32.nullable(),
        mode: z.enum(['AttachedSingle', 'Secondary']),
        stripe_size: u32.nullable(),
      }),
    ),
  })
  .meta({ id: 'ReAttachResponse' });

/** ValidateResponse, in request order. */
export const validateOut = z
  .strictObject({
    tenants: z.array(z.strictObject({ id: tenantShardIdOut, valid: z.boolean() })),
  })
  .meta({ id: 'ValidateResponse' });

export const attachHookOut = z.strictObject({ gen: u32.nullable() }).meta({ id: 'AttachHookResponse' });

/** `[generation, node_id]`, or null when unknown or not attached. */
export const inspectOut = z
  .strictObject({ attachment: z.tuple([u32, nodeIdOut]).nullable() })
  .meta({ id: 'InspectResponse' });

/** Element of `GET /control/v1/node` (note `id`, not `node_id`). */
export const nodeOut = z
  .strictObject({
    id: nodeIdOut,
    availability: z.enum(NODE_AVAILABILITIES),
    scheduling: z.enum(NODE_SCHEDULING_POLICIES),
    listen_http_addr: z.string(),
    listen_http_port: port,
    listen_pg_addr: z.string(),
    listen_pg_port: port,
    availability_zone_id: z.string().nullable(),
    /** The last `GET /v1/utilization` a heartbeat recorded; null before the first. */
    utilization: z
      .looseObject({
        disk_usage_bytes: z.number(),
        free_space_bytes: z.number(),
        utilization_score: z.number(),
        captured_at: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'Node' });

/** `GET /control/v1/node/{node_id}/shards`: null where the node is not intended / observed. */
export const nodeShardsOut = z
  .strictObject({
    node_id: nodeIdOut,
    shards: z.array(
      z.strictObject({
        tenant_shard_id: tenantShardIdOut,
        is_intended_secondary: z.boolean().nullable(),
        is_observed_secondary: z.boolean().nullable(),
      }),
    ),
  })
  .meta({ id: 'NodeShardResponse' });

export const tenantLocateOut = z
  .strictObject({
    shards: z.array(
      z.strictObject({
        shard_id: tenantShardIdOut,
        node_id: nodeIdOut,
        listen_http_addr: z.string(),
        listen_http_port: port,
        listen_pg_addr: z.string(),
        listen_pg_port: port,
      }),
    ),
    shard_params: z.strictObject({ count: u8, stripe_size: u32 }),
  })
  .meta({ id: 'TenantLocateResponse' });

export const tenantDescribeOut = z
  .strictObject({
    tenant_id: tenantIdOut,
    shards: z.array(
      z.strictObject({
        tenant_shard_id: tenantShardIdOut,
        node_attached: nodeIdOut.nullable(),
        node_secondary: z.array(nodeIdOut),
        last_error: z.string(),
        is_reconciling: z.boolean(),
        is_pending_compute_notification: z.boolean(),
        is_splitting: z.boolean(),
        scheduling_policy: z.enum(SHARD_SCHEDULING_POLICIES),
        preferred_az_id: z.string().nullable(),
      }),
    ),
    stripe_size: u32,
    policy: placementPolicyOut,
    config: tenantConfigOut,
  })
  .meta({ id: 'TenantDescribeResponse' });

const locationConfigOut = z.strictObject({
  mode: z.enum(LOCATION_MODES),
  generation: u32.nullable(),
  secondary_conf: z.strictObject({ warm: z.boolean() }).nullable(),
  shard_number: u8,
  shard_count: u8,
  shard_stripe_size: u32,
  tenant_conf: z.record(z.string(), z.unknown()),
});

/** The debug dump of one shard (render.ts dumpShard); an unstable, operator-only shape. */
export const shardDumpOut = z
  .strictObject({
    tenant_shard_id: tenantShardIdOut,
    shard: z.strictObject({ number: u8, count: u8, stripe_size: u32, layout: z.literal(1) }),
    generation: u32,
    generation_pageserver: nodeIdOut.nullable(),
    policy: placementPolicyOut,
    scheduling_policy: z.enum(SHARD_SCHEDULING_POLICIES),
    intent: z.strictObject({ attached: nodeIdOut.nullable(), secondary: z.array(nodeIdOut) }),
    observed: z.strictObject({
      // null: unknown (a call failed half-way or the node went offline).
      locations: z.record(z.string(), z.strictObject({ conf: locationConfigOut.nullable() })),
    }),
    config: tenantConfigOut,
    splitting: z.enum(['Splitting', 'Idle']),
    last_error: z.string(),
    pending_compute_notification: z.boolean(),
    preferred_az_id: z.string().nullable(),
    version: z.number().int().nonnegative(),
  })
  .meta({ id: 'TenantShardDump' });

export const schedulerDumpOut = z
  .strictObject({
    nodes: z.record(
      z.string().regex(/^\d+$/),
      z.strictObject({
        shard_count: z.number().int().nonnegative(),
        attached_count: z.number().int().nonnegative(),
        secondary_count: z.number().int().nonnegative(),
        may_schedule: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'SchedulerDump' });

const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] as const;

export const workflowExecutionOut = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    workflow: z.enum(WORKFLOWS),
    status: z.enum(EXECUTION_STATUSES),
    startedAt: z.string(),
    stoppedAt: z.string().nullable(),
    input: z.unknown(),
    output: z.unknown(),
    error: z.strictObject({ error: z.string(), cause: z.string() }).nullable(),
  })
  .meta({ id: 'WorkflowExecution' });

export const executionIdOut = z.strictObject({ execution_id: z.string() }).meta({ id: 'ExecutionId' });

const STEP_STATUSES = ['running', 'succeeded', 'failed', 'caught', 'stopped'] as const;

/** A top-level state the execution went through (core/execution-steps.ts). */
export const executionStepOut = z
  .strictObject({
    name: z.string(),
    type: z.string(),
    startedAt: z.string(),
    stoppedAt: z.string().nullable(),
    durationMs: z.number().int().nonnegative().nullable(),
    status: z.enum(STEP_STATUSES),
    retries: z.number().int().nonnegative(),
    iterations: z
      .strictObject({
        started: z.number().int().nonnegative(),
        succeeded: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
      })
      .nullable(),
    error: z.strictObject({ error: z.string(), cause: z.string() }).nullable(),
  })
  .meta({ id: 'ExecutionStep' });

/** An element of the executions list; `step` (the step reached) only with `?with_step=true`. */
export const workflowListItemOut = workflowExecutionOut
  .extend({
    step: z
      .strictObject({ name: z.string(), status: z.enum(STEP_STATUSES) })
      .nullable()
      .optional(),
  })
  .meta({ id: 'WorkflowExecutionListItem' });

export const workflowDetailOut = workflowExecutionOut
  .extend({
    steps: z.array(executionStepOut),
    history: z.array(z.record(z.string(), z.unknown())).optional(),
    /** The oldest events left out so that the answer fits in a Lambda's 6 MB (absent: none). */
    history_omitted: z.number().int().positive().optional(),
  })
  .meta({ id: 'WorkflowExecutionDetail' });

/** `"Active"`, `"Loading"`, `"Stopping"` or `{"Broken": {...}}` (wire-formats §3.4). */
const timelineState = z.union([
  z.enum(['Loading', 'Active', 'Stopping']),
  z.strictObject({ Broken: z.object({ reason: z.string(), backtrace: z.string() }) }),
]);

/**
 * Shard zero's TimelineInfo (wire-formats §3.6), relayed from the pageserver: not strict, since
 * newer pageservers add fields.
 */
export const timelineInfoOut = z
  .object({
    tenant_id: tenantShardIdOut,
    timeline_id: timelineIdOut,
    ancestor_timeline_id: timelineIdOut.nullable(),
    ancestor_lsn: lsn.nullable(),
    last_record_lsn: lsn,
    prev_record_lsn: lsn.nullable(),
    latest_gc_cutoff_lsn: lsn,
    disk_consistent_lsn: lsn,
    remote_consistent_lsn: lsn,
    remote_consistent_lsn_visible: lsn,
    initdb_lsn: lsn,
    current_logical_size: u64,
    current_logical_size_is_accurate: z.boolean(),
    directory_entries_counts: z.array(u64),
    current_physical_size: u64.nullable(),
    current_logical_size_non_incremental: u64.nullable(),
    timeline_dir_layer_file_size_sum: u64.nullable(),
    wal_source_connstr: z.string().nullable(),
    last_received_msg_lsn: lsn.nullable(),
    last_received_msg_ts: u64.nullable(),
    pg_version: u32,
    state: timelineState,
    walreceiver_status: z.string(),
  })
  .meta({ id: 'TimelineInfo' });

/** Enough of an OpenAPI document to know one when we see one. */
export const openApiDocumentOut = z.looseObject({
  openapi: z.string().regex(/^3\.1\.\d+$/),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
