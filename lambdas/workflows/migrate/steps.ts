// Live migration of one shard's attachment, step by step (reference §5.5 live_migrate). The
// workflow holds the shard's reconcile lease throughout, so no reconcile interferes. Order:
// origin goes AttachedStale before the new generation is issued; the destination is attached
// (AttachedMulti) and caught up before compute is told; the origin is demoted only after that.

import type { AppContext } from '../../app/context';
import { parseLsn, parseTenantShardId, type TenantShardId } from '../../core/ids';
import { shardLease } from '../../core/leases';
import { originMismatch } from '../../core/migration-config';
import {
  attachedConf,
  detachConf,
  type LocationConfig,
  secondaryConf,
} from '../../core/model/location-config';
import { shardIdentity, type TenantShard } from '../../core/model/tenant-shard';
import { retryOnConflict } from '../../core/retry';
import {
  CatchUpTimeoutError,
  LeaseBusyError,
  PreconditionFailedError,
  RejectedError,
  TransientError,
  taskErrorFromPageserver,
} from '../../core/workflow-errors';
import { notifyTenant } from '../../notifications/notify-tenant';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { sendLocationConfig } from '../../reconciler/send-location-config';
import { issueGeneration, markSending, recordObserved } from '../../reconciler/shard-update';

export interface MigrationInput {
  shard: string;
  node_id: number;
  execution: string;
  /** Refuse unless the shard is attached here (the modern request's origin_node_id). */
  origin_node_id?: number | null;
}

export interface MigrationState extends MigrationInput {
  origin: number | null;
  /** Nothing to do: already attached there and confirmed. */
  noop: boolean;
  /** Make the destination a warm secondary before the cut-over (and how long to wait for it). */
  prewarm?: boolean;
  warmup_ms?: number;
  download_ms?: number;
  /** Stored with the execution; the placement rules will refuse worse-scoring targets without it. */
  override_scheduler?: boolean;
}

/** What the route asked beyond the shard and node (absent: cut over at once, as the original). */
export interface MigrationRequest {
  origin_node_id?: number | null;
  migration?: {
    prewarm: boolean;
    override_scheduler: boolean;
    warmup_ms: number;
    download_ms: number;
  } | null;
}

const LEASE_MS = 20 * 60_000;
/** Calls to an origin marked Offline are tried briefly: it may be alive, or not. */
const OFFLINE_ORIGIN_TIMEOUT_MS = 2_000;

export async function shardOf(context: AppContext, text: string): Promise<TenantShard> {
  const shard = await context.tenants.getShard(parseTenantShardId(text));
  if (!shard) throw new RejectedError(`Tenant shard ${text} not found`);
  return shard;
}

/**
 * A failover or a node deletion may move the shard's intent without its lease (a node-wide
 * event): the migration then gives up (its abort keeps the new intent) rather than go on towards
 * a destination nothing wants any more.
 */
function stillMoving(shard: TenantShard, state: MigrationInput): void {
  if (shard.intent.attached !== state.node_id)
    throw new RejectedError(
      `Tenant shard ${state.shard} was placed on ${shard.intent.attached === null ? 'no node' : `node ${shard.intent.attached}`} meanwhile`,
    );
}

async function nodeOf(context: AppContext, id: number) {
  const node = await context.nodes.get(id);
  if (!node) throw new RejectedError(`node ${id} is not registered`);
  return node;
}

/** Records what a pageserver confirmed (or forgets the node when conf is null). */
async function observe(
  context: AppContext,
  id: TenantShardId,
  node: number,
  conf: LocationConfig | null,
  extra: (shard: TenantShard) => Partial<TenantShard> = () => ({}),
) {
  if (!(await recordObserved(context.tenants, id, node, conf, extra)))
    throw new RejectedError(`Tenant shard ${id.tenantId} is gone`);
}

async function put(
  context: AppContext,
  shard: TenantShard,
  nodeId: number,
  conf: LocationConfig,
  flushMs?: number,
) {
  const node = await nodeOf(context, nodeId);
  try {
    await sendLocationConfig(context, node, shard.id, conf, { flushMs });
  } catch (error) {
    throw taskErrorFromPageserver(error, `location_config ${conf.mode} on node ${nodeId}`);
  }
}

/** Takes the shard's lease and moves its intent to the destination. */
export async function beginMigration(
  context: AppContext,
  input: MigrationInput & { request?: MigrationRequest },
): Promise<MigrationState> {
  const { request, ...fields } = input;
  const options = {
    prewarm: request?.migration?.prewarm ?? false,
    warmup_ms: request?.migration?.warmup_ms ?? 0,
    download_ms: request?.migration?.download_ms ?? 0,
    override_scheduler: request?.migration?.override_scheduler ?? false,
  };
  const id = parseTenantShardId(input.shard);
  if (!(await context.leases.acquireShard(id, input.execution, LEASE_MS))) {
    throw new LeaseBusyError(`shard ${input.shard} is being reconciled, migrated or split`);
  }
  // A refusal ends the execution (no abort path runs): the lease goes with it.
  return retryOnConflict(async () => {
    const shard = await shardOf(context, input.shard);
    await nodeOf(context, input.node_id);
    if (shard.policy.kind !== 'Attached')
      throw new RejectedError(`Cannot migrate a tenant that is not attached: ${input.shard}`);
    const origin =
      shard.intent.attached === input.node_id ? (shard.generationPageserver ?? null) : shard.intent.attached;
    const expected = input.origin_node_id ?? request?.origin_node_id;
    const mismatch = originMismatch(input.shard, expected, origin);
    if (mismatch) throw new PreconditionFailedError(mismatch);
    const keepOrigin = shard.policy.secondaries > 0 && origin !== null && origin !== input.node_id;
    const secondary = shard.intent.secondary.filter((n) => n !== input.node_id && n !== origin);
    if (keepOrigin && origin !== null) secondary.unshift(origin);
    const intent = { attached: input.node_id, secondary: secondary.slice(0, shard.policy.secondaries) };
    const noop = origin === input.node_id || origin === null;
    if (JSON.stringify(intent) !== JSON.stringify(shard.intent)) {
      await context.tenants.saveShards([{ before: shard, after: { ...shard, intent } }]);
    }
    return { ...fields, origin: origin === input.node_id ? null : origin, noop, ...options };
  }, 20).catch(async (error: unknown) => {
    if (error instanceof RejectedError) await releaseMigration(context, input);
    throw error;
  });
}

/**
 * Prewarm, first step: the destination gets a Secondary location (unless it has one), which
 * downloads the shard's layers while the origin stays attached. Answers when warm-up ends at the
 * latest.
 */
export async function prepareSecondary(
  context: AppContext,
  state: MigrationState & { warmup_ms: number },
): Promise<{ warm_deadline: number }> {
  const warmDeadline = Date.now() + state.warmup_ms;
  const shard = await shardOf(context, state.shard);
  if (shard.observed[String(state.node_id)]?.mode === 'Secondary') return { warm_deadline: warmDeadline };
  const conf = secondaryConf(shardIdentity(shard), shard.config);
  await put(context, shard, state.node_id, conf);
  await observe(context, shard.id, state.node_id, conf);
  return { warm_deadline: warmDeadline };
}

/**
 * Prewarm, polled: one download request (bounded by the request timeout). Warm once it completes;
 * past the warm-up deadline the migration cuts over anyway, as the reference does.
 */
export async function checkWarm(
  context: AppContext,
  state: MigrationState & { warm_deadline: number; download_ms: number },
): Promise<{ warm: boolean; timed_out: boolean }> {
  const pastDeadline = () => Date.now() >= state.warm_deadline;
  if (pastDeadline()) return { warm: true, timed_out: true };
  const shard = await shardOf(context, state.shard);
  const dest = await nodeOf(context, state.node_id);
  const timeoutMs = Math.min(
    state.download_ms,
    state.warm_deadline - Date.now(),
    context.deadline - Date.now(),
  );
  if (timeoutMs > 0) {
    try {
      await context.pageservers.secondaryDownload(dest, shard.id, { timeoutMs });
      return { warm: true, timed_out: false };
    } catch {
      // Not warm yet (still downloading, or the node is slow): poll again.
    }
  }
  return pastDeadline() ? { warm: true, timed_out: true } : { warm: false, timed_out: false };
}

/** The origin stops uploading and deleting (same generation), then reports its timelines' LSNs. */
export async function staleOrigin(
  context: AppContext,
  state: MigrationState,
): Promise<{ baseline: Record<string, string> }> {
  if (state.origin === null) return { baseline: {} };
  const shard = await shardOf(context, state.shard);
  const origin = await nodeOf(context, state.origin);
  // The origin is demoted in the generation it holds: the shard's newest only if it was issued
  // there (a concurrent change may have issued it elsewhere, and a generation goes to one node).
  const held =
    shard.generationPageserver === origin.id
      ? shard.generation
      : shard.observed[String(origin.id)]?.generation;
  if (held === null || held === undefined) return { baseline: {} };
  const conf = attachedConf(shardIdentity(shard), shard.config, held, 'AttachedStale');
  // A node marked Offline may still be alive (an operator evacuating it): use it if it answers.
  const timeoutMs = origin.availability === 'Offline' ? OFFLINE_ORIGIN_TIMEOUT_MS : undefined;
  try {
    await sendLocationConfig(context, origin, shard.id, conf, { flushMs: 10_000, timeoutMs });
  } catch (error) {
    if (origin.availability === 'Offline') return { baseline: {} };
    throw taskErrorFromPageserver(error, `location_config AttachedStale on node ${origin.id}`);
  }
  await observe(context, shard.id, origin.id, conf);
  try {
    const timelines = await context.pageservers.listTimelines(origin, shard.id);
    return { baseline: Object.fromEntries(timelines.map((t) => [t.timeline_id, t.last_record_lsn])) };
  } catch (error) {
    if (origin.availability === 'Offline') return { baseline: {} };
    throw taskErrorFromPageserver(error, `timeline list on node ${origin.id}`);
  }
}

/** Warm the destination if it is a secondary, then issue the new generation and attach it (AttachedMulti). */
export async function attachDestination(context: AppContext, state: MigrationState): Promise<null> {
  const shard = await shardOf(context, state.shard);
  stillMoving(shard, state);
  const dest = await nodeOf(context, state.node_id);
  const current = shard.observed[String(dest.id)];
  if (
    shard.generationPageserver === dest.id &&
    current?.mode === 'AttachedMulti' &&
    current.generation === shard.generation
  ) {
    return null; // done by an earlier attempt
  }
  // Another sole holder than the origin (a placement changed under a node-wide event) steps down
  // first, in the generation it holds, as the reconcile planner demotes every other one.
  for (const [key, held] of Object.entries(shard.observed)) {
    const n = Number(key);
    if (n === dest.id || n === state.origin || held?.mode !== 'AttachedSingle' || held.generation === null)
      continue;
    const other = await nodeOf(context, n);
    const stale = attachedConf(shardIdentity(shard), shard.config, held.generation, 'AttachedStale');
    try {
      await sendLocationConfig(context, other, shard.id, stale, {
        timeoutMs: other.availability === 'Offline' ? OFFLINE_ORIGIN_TIMEOUT_MS : undefined,
      });
    } catch (error) {
      throw taskErrorFromPageserver(error, `location_config AttachedStale on node ${n}`);
    }
    await observe(context, shard.id, n, stale);
  }
  // A prewarm migration has polled downloads already, until warm or its warm-up timeout.
  if (current?.mode === 'Secondary' && !state.prewarm)
    await context.pageservers.secondaryDownload(dest, shard.id).catch(() => undefined);
  // Generation before attach: persisted (issued to the destination) before it is used.
  const bumped = await issueGeneration(context.tenants, shard.id, dest.id);
  if (!bumped) throw new RejectedError(`Tenant shard ${state.shard} not found`);
  const conf = attachedConf(shardIdentity(bumped), bumped.config, bumped.generation, 'AttachedMulti');
  await put(context, bumped, dest.id, conf);
  await observe(context, bumped.id, dest.id, conf);
  return null;
}

/** Has the destination caught up with every timeline the origin had? Throws past the deadline. */
export async function checkCatchUp(
  context: AppContext,
  state: MigrationState & { baseline: Record<string, string>; deadline: number },
): Promise<{ caught_up: boolean }> {
  if (Date.now() > state.deadline) throw new CatchUpTimeoutError('destination did not catch up in time');
  const shard = await shardOf(context, state.shard);
  stillMoving(shard, state);
  const dest = await nodeOf(context, state.node_id);
  let timelines: Array<{ timeline_id: string; last_record_lsn: string }>;
  try {
    timelines = await context.pageservers.listTimelines(dest, shard.id);
  } catch {
    return { caught_up: false };
  }
  const got = new Map(timelines.map((t) => [t.timeline_id, parseLsn(t.last_record_lsn)]));
  const caughtUp = Object.entries(state.baseline).every(([tl, lsn]) => (got.get(tl) ?? -1n) >= parseLsn(lsn));
  return { caught_up: caughtUp };
}

export async function notifyMigration(context: AppContext, state: MigrationState): Promise<null> {
  const shard = await shardOf(context, state.shard);
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  const outcome = await notifyTenant(
    shard.id.tenantId,
    reconcileDeps(context, state.execution),
    nodes,
    context.deadline,
  );
  if (outcome.status === 'failed') {
    throw outcome.fatal ? new RejectedError(outcome.message) : new TransientError(outcome.message);
  }
  return null;
}

/** Origin to warm secondary, destination to AttachedSingle, origin detached unless kept. */
export async function finishMigration(context: AppContext, state: MigrationState): Promise<null> {
  const shard = await shardOf(context, state.shard);
  stillMoving(shard, state);
  const origin = state.origin === null ? undefined : await context.nodes.get(state.origin);
  /** Demotes the origin; one marked Offline that does not answer keeps its state unknown. */
  const toOrigin = async (
    target: TenantShard,
    conf: LocationConfig,
    extra: (shard: TenantShard) => Partial<TenantShard> = () => ({}),
  ) => {
    if (!origin) return;
    try {
      await sendLocationConfig(context, origin, target.id, conf, {
        timeoutMs: origin.availability === 'Offline' ? OFFLINE_ORIGIN_TIMEOUT_MS : undefined,
      });
    } catch (error) {
      // Unreachable: what it holds stays as last observed, and a later reconcile detaches it.
      if (origin.availability === 'Offline') return;
      throw taskErrorFromPageserver(error, `location_config ${conf.mode} on node ${origin.id}`);
    }
    await observe(context, target.id, origin.id, conf.mode === 'Detached' ? null : conf, extra);
  };
  await toOrigin(shard, secondaryConf(shardIdentity(shard), shard.config));
  const single = attachedConf(shardIdentity(shard), shard.config, shard.generation);
  // The cut-over carries the newest generation: marked as on its way, so that a re-attach of the
  // destination meanwhile does not issue a newer one that this call would then undo.
  await markSending(context.tenants, shard.id, state.node_id, shard.generation);
  await put(context, shard, state.node_id, single);
  await observe(context, shard.id, state.node_id, single);
  const latest = await shardOf(context, state.shard);
  if (origin && !latest.intent.secondary.includes(origin.id)) {
    await toOrigin(latest, detachConf(shardIdentity(latest), latest.config), (s) => ({
      generationPageserver: s.generationPageserver === origin.id ? null : s.generationPageserver,
    }));
  }
  return null;
}

export async function releaseMigration(context: AppContext, state: MigrationInput): Promise<null> {
  const id = parseTenantShardId(state.shard);
  await context.leases.release(id.tenantId, shardLease(id), state.execution);
  return null;
}
