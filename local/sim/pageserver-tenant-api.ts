// The tenant endpoints of a simulated pageserver (reference/wire-formats.md §4): location_config
// (obeying any generation unless told to refuse a lower one), tenant get and delete, shard split,
// timelines, time travel and secondary download.
import * as z from 'zod';
import {
  formatLsn,
  formatTenantShardId,
  parseLsn,
  parseTenantShardId,
  shardCountOf,
  splitChildren,
} from '../../lambdas/core/ids';
import { LOCATION_MODES, type LocationConfig } from '../../lambdas/core/model/location-config';
import type { FaultInjector } from './faults';
import { HttpError } from './http-util';
import { INITDB_LSN, isAttached, type NodeState, type SimTimeline } from './pageserver-state';

export type Reply = (status: number, value: unknown) => void;

const locationBody = z
  .object({
    tenant_id: z.string(),
    mode: z.enum(LOCATION_MODES),
    generation: z.number().int().nonnegative().nullish(),
    secondary_conf: z.object({ warm: z.boolean() }).nullish(),
    shard_number: z.number().int().min(0).max(255).default(0),
    shard_count: z.number().int().min(0).max(255).default(0),
    shard_stripe_size: z.number().int().nonnegative().default(0),
    tenant_conf: z.record(z.string(), z.unknown()),
  })
  .strict();

const timelineCreateBody = z.object({
  new_timeline_id: z.string().regex(/^[0-9a-f]{32}$/),
  ancestor_timeline_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullish(),
  ancestor_start_lsn: z.string().nullish(),
  pg_version: z.number().int().nullish(),
  existing_initdb_timeline_id: z.string().nullish(),
});

export function zodMessage(error: z.ZodError): string {
  return error.issues
    .map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field ${i.keys.join(', ')}`
        : `${i.path.join('.')}: ${i.message}`,
    )
    .join('; ');
}

export interface TenantApiOptions {
  /** How long a tenant or timeline deletion takes after its 202. */
  deletionMs?: number;
  refuseLowerGeneration?: boolean;
}

export class TenantApi {
  constructor(
    private readonly state: NodeState,
    private readonly options: TenantApiOptions,
    private readonly faults: FaultInjector,
    /** Completes deletions when they are due. */
    private readonly scheduleFinish: (ms: number) => void,
  ) {}

  handle(
    method: string,
    shard: string,
    rest: string,
    query: URLSearchParams,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): void {
    const storage = this.state.storage;
    if (method === 'PUT' && rest === '/location_config') return this.putLocationConfig(shard, body, reply);
    if (method === 'GET' && rest === '') {
      const loc = this.state.attachedLocation(shard);
      return reply(200, {
        id: shard,
        state: { slug: 'Active' },
        current_physical_size: loc.timelines.size * 8192,
        attachment_status: { slug: 'attached' },
        ...(loc.conf.generation === null ? {} : { generation: loc.conf.generation }),
        walredo: null,
        timelines: [...loc.timelines.keys()],
      });
    }
    if (method === 'DELETE' && rest === '') {
      const loc = this.state.disk.locations.get(shard);
      if (!loc || !isAttached(loc.conf.mode)) throw new HttpError(404, `NotFound: tenant ${shard}`);
      if (loc.deletingUntil !== undefined) throw new HttpError(409, 'Conflict: deletion already in progress');
      loc.deletingUntil = Date.now() + (this.options.deletionMs ?? 100);
      this.scheduleFinish(this.options.deletionMs ?? 100);
      if (loc.conf.generation !== null) {
        storage.recordWrite(shard, loc.conf.generation, this.state.nodeId, 'delete-tenant');
        loc.deletion = { generation: loc.conf.generation, acceptedAt: storage.now() };
      }
      return reply(202, null);
    }
    if (method === 'PUT' && rest === '/shard_split') return this.shardSplit(shard, body, reply);
    if (method === 'POST' && rest === '/timeline') return this.createTimeline(shard, body, reply);
    if (method === 'GET' && rest === '/timeline') {
      const loc = this.state.attachedLocation(shard);
      return reply(
        200,
        [...loc.timelines.values()].map((tl) => this.timelineInfo(shard, tl)),
      );
    }
    const m = /^\/timeline\/([0-9a-f]{32})$/.exec(rest);
    if (m) {
      const loc = this.state.attachedLocation(shard);
      const tl = loc.timelines.get(m[1]!);
      if (method === 'GET') {
        if (!tl) throw new HttpError(404, `NotFound: timeline ${m[1]}`);
        return reply(200, this.timelineInfo(shard, tl));
      }
      if (method === 'DELETE') {
        if (!tl) throw new HttpError(404, `NotFound: timeline ${m[1]}`);
        if (tl.deletingUntil !== undefined)
          throw new HttpError(409, 'Conflict: timeline deletion already in progress');
        const children = [...loc.timelines.values()].some((t) => t.ancestor_timeline_id === m![1]);
        if (children) throw new HttpError(412, 'Precondition failed: timeline has child timelines');
        tl.deletingUntil = Date.now() + (this.options.deletionMs ?? 100);
        this.scheduleFinish(this.options.deletionMs ?? 100);
        if (loc.conf.generation !== null) {
          storage.recordWrite(shard, loc.conf.generation, this.state.nodeId, 'delete-timeline');
          tl.deletion = { generation: loc.conf.generation, acceptedAt: storage.now() };
        }
        return reply(202, null);
      }
    }
    if (method === 'PUT' && rest === '/time_travel_remote_storage') {
      const travelTo = query.get('travel_to');
      const doneIfAfter = query.get('done_if_after');
      const to = travelTo ? Date.parse(travelTo) : Number.NaN;
      const after = doneIfAfter ? Date.parse(doneIfAfter) : Number.NaN;
      if (Number.isNaN(to)) throw new HttpError(400, `Invalid time for travel_to: ${travelTo}`);
      if (Number.isNaN(after)) throw new HttpError(400, `Invalid time for done_if_after: ${doneIfAfter}`);
      if (to > after) throw new HttpError(400, 'travel_to must not be later than done_if_after');
      if (this.state.disk.locations.has(shard))
        throw new HttpError(400, `tenant ${shard} is managed on this pageserver`);
      storage.recordWrite(shard, -1, this.state.nodeId, `time-travel ${travelTo}`);
      return reply(200, null);
    }
    if (method === 'GET' && rest === '/secondary/status') {
      // The pageserver's SecondaryProgress; the lag is what a test set (setSecondaryLag).
      const loc = this.state.disk.locations.get(shard);
      if (loc?.conf.mode !== 'Secondary') throw new HttpError(404, `tenant ${shard} is not a secondary here`);
      const total = 1 << 30;
      const lag = Math.min(total, this.state.secondaryLag.get(shard) ?? 0);
      return reply(200, {
        heatmap_mtime: null,
        layers_downloaded: lag === 0 ? 1 : 0,
        layers_total: 1,
        bytes_downloaded: total - lag,
        bytes_total: total,
      });
    }
    if (method === 'POST' && rest === '/secondary/download') {
      const loc = this.state.disk.locations.get(shard);
      if (loc?.conf.mode !== 'Secondary') throw new HttpError(500, `tenant ${shard} is not a secondary here`);
      loc.timelines = this.state.download(shard);
      return reply(200, null);
    }
    throw new HttpError(404, `NotFound: no route ${method} /v1/tenant/${shard}${rest}`);
  }
  private putLocationConfig(
    shard: string,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): void {
    const parsed = locationBody.safeParse(body);
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    const req = parsed.data;
    const generation = req.generation ?? null;
    if (isAttached(req.mode) && generation === null)
      throw new HttpError(400, 'Generation must be set when attaching');
    if (req.mode === 'Secondary' && generation !== null)
      throw new HttpError(400, 'Secondary locations have no generation');
    if (req.shard_count > 0 && (req.shard_number >= req.shard_count || req.shard_stripe_size === 0)) {
      throw new HttpError(400, 'invalid shard parameters');
    }
    const existing = this.state.disk.locations.get(shard);
    if (req.mode === 'Detached') {
      this.state.disk.locations.delete(shard);
      return reply(200, null);
    }
    if (
      existing &&
      isAttached(existing.conf.mode) &&
      existing.conf.generation !== null &&
      generation !== null &&
      generation < existing.conf.generation &&
      (this.options.refuseLowerGeneration ||
        this.faults.refuseLowerGeneration('PUT', `/v1/tenant/${shard}/location_config`))
    ) {
      throw new HttpError(400, `Generation ${generation} is less than existing ${existing.conf.generation}`);
    }
    const conf: LocationConfig = {
      mode: req.mode,
      generation,
      secondary_conf: req.mode === 'Secondary' ? (req.secondary_conf ?? { warm: false }) : null,
      shard_number: req.shard_number,
      shard_count: req.shard_count,
      shard_stripe_size: req.shard_stripe_size,
      tenant_conf: req.tenant_conf,
    };
    const fresh = !existing || (existing.conf.mode === 'Secondary' && isAttached(req.mode));
    const timelines = fresh ? this.state.download(shard) : existing.timelines;
    if (existing && fresh)
      for (const [id, tl] of existing.timelines) if (!timelines.has(id)) timelines.set(id, tl);
    this.state.disk.locations.set(shard, { conf, timelines });
    this.state.upload(shard);
    if (generation !== null) {
      this.state.storage.recordIssued(shard, generation, this.state.nodeId, req.mode);
      if (req.mode !== 'AttachedStale')
        this.state.storage.recordWrite(shard, generation, this.state.nodeId, 'attach');
    }
    return reply(200, {
      shards: isAttached(req.mode) ? [{ shard_id: shard, node_id: this.state.nodeId }] : [],
    });
  }
  private shardSplit(shard: string, body: unknown, reply: (status: number, value: unknown) => void): void {
    const parsed = z
      .object({
        new_shard_count: z.number().int().min(1).max(255),
        new_stripe_size: z.number().int().positive().nullish(),
      })
      .safeParse(body);
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    const loc = this.state.disk.locations.get(shard);
    if (!loc || !isAttached(loc.conf.mode)) throw new HttpError(500, `tenant ${shard} is not attached here`);
    const parent = parseTenantShardId(shard);
    const oldCount = shardCountOf(parent.count);
    const newCount = parsed.data.new_shard_count;
    const ratio = newCount / oldCount;
    if (newCount <= oldCount || !Number.isInteger(ratio) || (ratio & (ratio - 1)) !== 0) {
      throw new HttpError(500, `cannot split ${shard} from ${oldCount} to ${newCount} shards`);
    }
    const children = splitChildren(parent, newCount).map(formatTenantShardId);
    for (const child of children) {
      const id = parseTenantShardId(child);
      const timelines = new Map([...loc.timelines].map(([k, tl]) => [k, { ...tl }]));
      this.state.disk.locations.set(child, {
        conf: {
          ...loc.conf,
          mode: 'AttachedSingle',
          shard_number: id.number,
          shard_count: id.count,
          shard_stripe_size: parsed.data.new_stripe_size ?? loc.conf.shard_stripe_size,
        },
        timelines,
      });
      if (loc.conf.generation !== null) {
        this.state.storage.recordIssued(child, loc.conf.generation, this.state.nodeId, 'AttachedSingle');
        this.state.storage.recordWrite(child, loc.conf.generation, this.state.nodeId, 'split');
      }
      this.state.upload(child);
    }
    this.state.disk.locations.delete(shard);
    return reply(200, { new_shards: children });
  }
  private createTimeline(
    shard: string,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): void {
    const loc = this.state.attachedLocation(shard);
    const parsed = timelineCreateBody.safeParse(body);
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    const req = parsed.data;
    const ancestorId = req.ancestor_timeline_id ?? null;
    let ancestorLsn: bigint | null = null;
    if (ancestorId) {
      const ancestor = loc.timelines.get(ancestorId);
      if (!ancestor) throw new HttpError(500, `ancestor timeline ${ancestorId} not found`);
      try {
        ancestorLsn = req.ancestor_start_lsn ? parseLsn(req.ancestor_start_lsn) : ancestor.last_record_lsn;
      } catch (error) {
        throw new HttpError(400, (error as Error).message);
      }
      if (ancestorLsn > ancestor.last_record_lsn) throw new HttpError(406, 'ancestor LSN not reached yet');
    }
    const pgVersion = req.pg_version ?? 15;
    const existing = loc.timelines.get(req.new_timeline_id);
    if (existing) {
      const same =
        existing.ancestor_timeline_id === ancestorId &&
        existing.pg_version === pgVersion &&
        (!req.ancestor_start_lsn || existing.ancestor_lsn === ancestorLsn);
      if (!same || existing.deletingUntil !== undefined) throw new HttpError(409, 'timeline exists', null);
      return reply(201, this.timelineInfo(shard, existing));
    }
    const tl: SimTimeline = {
      timeline_id: req.new_timeline_id,
      ancestor_timeline_id: ancestorId,
      ancestor_lsn: ancestorLsn,
      last_record_lsn: ancestorLsn ?? INITDB_LSN,
      initdb_lsn: INITDB_LSN,
      pg_version: pgVersion,
    };
    loc.timelines.set(tl.timeline_id, tl);
    if (loc.conf.generation !== null)
      this.state.storage.recordWrite(shard, loc.conf.generation, this.state.nodeId, 'timeline-create');
    this.state.upload(shard);
    return reply(201, this.timelineInfo(shard, tl));
  }
  private timelineInfo(shard: string, tl: SimTimeline) {
    const lsn = formatLsn(tl.last_record_lsn);
    return {
      tenant_id: shard,
      timeline_id: tl.timeline_id,
      ancestor_timeline_id: tl.ancestor_timeline_id,
      ancestor_lsn: tl.ancestor_lsn === null || tl.ancestor_lsn === 0n ? null : formatLsn(tl.ancestor_lsn),
      last_record_lsn: lsn,
      prev_record_lsn: lsn,
      latest_gc_cutoff_lsn: formatLsn(tl.initdb_lsn),
      disk_consistent_lsn: lsn,
      remote_consistent_lsn: lsn,
      remote_consistent_lsn_visible: lsn,
      initdb_lsn: formatLsn(tl.initdb_lsn),
      current_logical_size: 8192,
      current_logical_size_is_accurate: true,
      directory_entries_counts: [0, 0, 0, 0, 0, 0, 0],
      current_physical_size: 8192,
      current_logical_size_non_incremental: null,
      timeline_dir_layer_file_size_sum: null,
      wal_source_connstr: null,
      last_received_msg_lsn: null,
      last_received_msg_ts: null,
      pg_version: tl.pg_version,
      state: tl.deletingUntil === undefined ? 'Active' : 'Stopping',
      walreceiver_status: 'Not active',
    };
  }
}
