// Live migration of one shard's attachment, step by step (reference §5.5 live_migrate). The
// workflow holds the shard's reconcile lease throughout, so no reconcile interferes. Order:
// origin goes AttachedStale before the new generation is issued; the destination is attached
// (AttachedMulti) and caught up before compute is told; the origin is demoted only after that.
import { PageserverError } from '../adapters/pageserver-client';
import type { Services } from '../api/services';
import { reconcileDeps } from '../api/services';
import { formatShardIndex, parseLsn, parseTenantShardId, type TenantShardId } from '../core/ids';
import { attachedConf, detachConf, type LocationConfig, secondaryConf } from '../core/model/location-config';
import type { TenantShard } from '../core/model/tenant-shard';
import { retryOnConflict } from '../core/retry';
import { LeaseBusyError, PageserverRefusedError, RejectedError, TransientError } from '../core/task-errors';
import { notifyTenant } from './notify-compute';
import { reconcileShard } from './reconcile-shard';

export interface MigrationInput {
  shard: string;
  node_id: number;
  execution: string;
}

export interface MigrationState extends MigrationInput {
  origin: number | null;
  /** Nothing to do: already attached there and confirmed. */
  noop: boolean;
}

const LEASE_MS = 20 * 60_000;
/** Calls to an origin marked Offline are tried briefly: it may be alive, or not. */
const OFFLINE_ORIGIN_TIMEOUT_MS = 2_000;
const identity = (s: TenantShard) => ({ number: s.id.number, count: s.id.count, stripeSize: s.stripeSize });
const shardLease = (id: TenantShardId) => `SHARD#${formatShardIndex(id)}`;

async function shardOf(services: Services, text: string): Promise<TenantShard> {
  const shard = await services.tenants.getShard(parseTenantShardId(text));
  if (!shard) throw new RejectedError(`Tenant shard ${text} not found`);
  return shard;
}

async function nodeOf(services: Services, id: number) {
  const node = await services.nodes.get(id);
  if (!node) throw new RejectedError(`node ${id} is not registered`);
  return node;
}

function pageserverFailure(error: unknown, what: string): Error {
  if (error instanceof PageserverError) {
    return error.transient
      ? new TransientError(`${what}: ${error.message}`)
      : new PageserverRefusedError(`${what}: ${error.message}`);
  }
  return error as Error;
}

/** Records what a pageserver confirmed (or forget the node when conf is null). */
async function observe(
  services: Services,
  id: TenantShardId,
  node: number,
  conf: LocationConfig | null,
  extra: Partial<TenantShard> = {},
) {
  await retryOnConflict(async () => {
    const shard = (await services.tenants.getShard(id))!;
    const observed = { ...shard.observed };
    if (conf) observed[String(node)] = conf;
    else delete observed[String(node)];
    await services.tenants.saveShards([{ before: shard, after: { ...shard, ...extra, observed } }]);
  }, 20);
}

async function put(
  services: Services,
  shard: TenantShard,
  nodeId: number,
  conf: LocationConfig,
  flushMs?: number,
) {
  const node = await nodeOf(services, nodeId);
  try {
    await services.pageservers.putLocationConfig(node, shard.id, conf, { flushMs });
  } catch (error) {
    throw pageserverFailure(error, `location_config ${conf.mode} on node ${nodeId}`);
  }
}

/** Takes the shard's lease and moves its intent to the destination. */
export async function beginMigration(services: Services, input: MigrationInput): Promise<MigrationState> {
  const id = parseTenantShardId(input.shard);
  if (!(await services.leases.acquire(id.tenantId, shardLease(id), input.execution, LEASE_MS))) {
    throw new LeaseBusyError(`shard ${input.shard} is being reconciled or migrated`);
  }
  return retryOnConflict(async () => {
    const shard = await shardOf(services, input.shard);
    await nodeOf(services, input.node_id);
    if (shard.policy.kind !== 'Attached')
      throw new RejectedError(`Cannot migrate a tenant that is not attached: ${input.shard}`);
    const origin =
      shard.intent.attached === input.node_id ? (shard.generationPageserver ?? null) : shard.intent.attached;
    const keepOrigin = shard.policy.secondaries > 0 && origin !== null && origin !== input.node_id;
    const secondary = shard.intent.secondary.filter((n) => n !== input.node_id && n !== origin);
    if (keepOrigin && origin !== null) secondary.unshift(origin);
    const intent = { attached: input.node_id, secondary: secondary.slice(0, shard.policy.secondaries) };
    const noop = origin === input.node_id || origin === null;
    if (JSON.stringify(intent) !== JSON.stringify(shard.intent)) {
      await services.tenants.saveShards([{ before: shard, after: { ...shard, intent } }]);
    }
    return { ...input, origin: origin === input.node_id ? null : origin, noop };
  }, 20);
}

/** The origin stops uploading and deleting (same generation), then reports its timelines' LSNs. */
export async function staleOrigin(
  services: Services,
  state: MigrationState,
): Promise<{ baseline: Record<string, string> }> {
  if (state.origin === null) return { baseline: {} };
  const shard = await shardOf(services, state.shard);
  const origin = await nodeOf(services, state.origin);
  const conf = attachedConf(identity(shard), shard.config, shard.generation, 'AttachedStale');
  // A node marked Offline may still be alive (an operator evacuating it): use it if it answers.
  const timeoutMs = origin.availability === 'Offline' ? OFFLINE_ORIGIN_TIMEOUT_MS : undefined;
  try {
    await services.pageservers.putLocationConfig(origin, shard.id, conf, { flushMs: 10_000, timeoutMs });
  } catch (error) {
    if (origin.availability === 'Offline') return { baseline: {} };
    throw pageserverFailure(error, `location_config AttachedStale on node ${origin.id}`);
  }
  await observe(services, shard.id, origin.id, conf);
  try {
    const timelines = await services.pageservers.listTimelines(origin, shard.id);
    return { baseline: Object.fromEntries(timelines.map((t) => [t.timeline_id, t.last_record_lsn])) };
  } catch (error) {
    if (origin.availability === 'Offline') return { baseline: {} };
    throw pageserverFailure(error, `timeline list on node ${origin.id}`);
  }
}

/** Warm the destination if it is a secondary, then issue the new generation and attach it (AttachedMulti). */
export async function attachDestination(services: Services, state: MigrationState): Promise<null> {
  const shard = await shardOf(services, state.shard);
  const dest = await nodeOf(services, state.node_id);
  const current = shard.observed[String(dest.id)];
  if (
    shard.generationPageserver === dest.id &&
    current?.mode === 'AttachedMulti' &&
    current.generation === shard.generation
  ) {
    return null; // done by an earlier attempt
  }
  if (current?.mode === 'Secondary')
    await services.pageservers.secondaryDownload(dest, shard.id).catch(() => undefined);
  // Generation before attach: persisted (issued to the destination) before it is used.
  let bumped!: TenantShard;
  await retryOnConflict(async () => {
    const s = (await services.tenants.getShard(shard.id))!;
    bumped = {
      ...s,
      generation: s.generation + 1,
      generationPageserver: dest.id,
      observed: { ...s.observed, [String(dest.id)]: null },
    };
    const [saved] = await services.tenants.saveShards([{ before: s, after: bumped }]);
    bumped = saved!;
  }, 20);
  const conf = attachedConf(identity(bumped), bumped.config, bumped.generation, 'AttachedMulti');
  await put(services, bumped, dest.id, conf);
  await observe(services, bumped.id, dest.id, conf);
  return null;
}

/** Has the destination caught up with every timeline the origin had? Throws past the deadline. */
export async function checkCatchUp(
  services: Services,
  state: MigrationState & { baseline: Record<string, string>; deadline: number },
): Promise<{ caught_up: boolean }> {
  if (Date.now() > state.deadline)
    throw Object.assign(new Error('destination did not catch up in time'), { name: 'CatchUpTimeout' });
  const shard = await shardOf(services, state.shard);
  const dest = await nodeOf(services, state.node_id);
  let timelines: Array<{ timeline_id: string; last_record_lsn: string }>;
  try {
    timelines = await services.pageservers.listTimelines(dest, shard.id);
  } catch {
    return { caught_up: false };
  }
  const got = new Map(timelines.map((t) => [t.timeline_id, parseLsn(t.last_record_lsn)]));
  const caughtUp = Object.entries(state.baseline).every(([tl, lsn]) => (got.get(tl) ?? -1n) >= parseLsn(lsn));
  return { caught_up: caughtUp };
}

export async function notifyMigration(services: Services, state: MigrationState): Promise<null> {
  const shard = await shardOf(services, state.shard);
  const nodes = new Map((await services.nodes.list()).map((n) => [n.id, n]));
  const outcome = await notifyTenant(
    shard.id.tenantId,
    { ...services, owner: state.execution, metrics: services.metrics.reconcileMetrics() },
    nodes,
    Date.now() + 20_000,
  );
  if (outcome.status === 'failed') {
    throw outcome.fatal ? new RejectedError(outcome.message) : new TransientError(outcome.message);
  }
  return null;
}

/** Origin to warm secondary, destination to AttachedSingle, origin detached unless kept. */
export async function finishMigration(services: Services, state: MigrationState): Promise<null> {
  const shard = await shardOf(services, state.shard);
  const origin = state.origin === null ? undefined : await services.nodes.get(state.origin);
  /** Demotes the origin; one marked Offline that does not answer keeps its state unknown. */
  const toOrigin = async (target: TenantShard, conf: LocationConfig, extra: Partial<TenantShard> = {}) => {
    if (!origin) return;
    try {
      await services.pageservers.putLocationConfig(origin, target.id, conf, {
        timeoutMs: origin.availability === 'Offline' ? OFFLINE_ORIGIN_TIMEOUT_MS : undefined,
      });
    } catch (error) {
      // Unreachable: what it holds stays as last observed, and a later reconcile detaches it.
      if (origin.availability === 'Offline') return;
      throw pageserverFailure(error, `location_config ${conf.mode} on node ${origin.id}`);
    }
    await observe(services, target.id, origin.id, conf.mode === 'Detached' ? null : conf, extra);
  };
  await toOrigin(shard, secondaryConf(identity(shard), shard.config));
  const single = attachedConf(identity(shard), shard.config, shard.generation);
  await put(services, shard, state.node_id, single);
  await observe(services, shard.id, state.node_id, single);
  const latest = await shardOf(services, state.shard);
  if (origin && !latest.intent.secondary.includes(origin.id)) {
    await toOrigin(latest, detachConf(identity(latest), latest.config), {
      generationPageserver: latest.generationPageserver === origin.id ? null : latest.generationPageserver,
    });
  }
  return null;
}

export async function releaseMigration(services: Services, state: MigrationInput): Promise<null> {
  const id = parseTenantShardId(state.shard);
  await services.leases.release(id.tenantId, shardLease(id), state.execution);
  return null;
}

/**
 * Abort: leave exactly one attached location, in the newest generation. The attachment goes
 * back to the origin if it is alive (else stays on the destination); the other location's state
 * is marked unknown, and a reconcile attaches the chosen node in a fresh generation and detaches
 * the other.
 */
export async function abortMigration(
  services: Services,
  state: MigrationState,
): Promise<{ attached: number | null }> {
  let chosen: number | null = null;
  await retryOnConflict(async () => {
    const shard = await shardOf(services, state.shard);
    const origin = state.origin === null ? undefined : await services.nodes.get(state.origin);
    chosen = origin && origin.availability === 'Active' ? origin.id : state.node_id;
    const other = chosen === state.node_id ? state.origin : state.node_id;
    const observed = { ...shard.observed };
    for (const n of [chosen, other]) if (n !== null && String(n) in observed) observed[String(n)] = null;
    const secondary = shard.intent.secondary.filter((n) => n !== chosen && n !== other);
    await services.tenants.saveShards([
      { before: shard, after: { ...shard, intent: { attached: chosen, secondary }, observed } },
    ]);
  }, 20);
  await releaseMigration(services, state);
  const outcome = await reconcileShard(
    parseTenantShardId(state.shard),
    reconcileDeps(services, state.execution),
    Date.now() + 30_000,
  );
  if (outcome.status !== 'ok' && outcome.status !== 'busy') {
    throw new TransientError(
      `abort could not settle ${state.shard}: ${'message' in outcome ? outcome.message : outcome.status}`,
    );
  }
  return { attached: chosen };
}
