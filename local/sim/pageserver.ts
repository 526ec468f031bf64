// A simulated pageserver: a real HTTP server implementing the management API the controller
// calls (reference/wire-formats.md §4, §5), the re-attach contract on start, a "disk" that
// survives restarts, fault injection, and a shared remote storage that records generations.
//
// It is no kinder than a real pageserver: it obeys whatever generation it is told (refusing a
// lower one only when asked to, as newer pageservers do), a restart takes time and tenant calls
// meanwhile get 503, and faults can apply a call and lose its answer or hang and then drop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
import { type Fault, FaultInjector, faultSchema, type RestartPlan } from './faults';
import { close, HttpError, listen, readJson, sendJson } from './http-util';
import type { SimRemoteStorage, StoredTimeline } from './remote-storage';

/** A deletion a node accepted: in which generation, and when (remote storage's logical clock). */
export interface RunningDeletion {
  generation: number;
  acceptedAt: number;
}

export interface SimTimeline extends StoredTimeline {
  /** Set while a deletion runs: the time it completes. */
  deletingUntil?: number;
  deletion?: RunningDeletion;
}

export interface SimLocation {
  conf: LocationConfig;
  timelines: Map<string, SimTimeline>;
  /** Set while a tenant deletion runs: the time it completes. */
  deletingUntil?: number;
  deletion?: RunningDeletion;
}

/** What survives a restart. */
export class SimDisk {
  readonly locations = new Map<string, SimLocation>();
}

export interface PageserverSimOptions {
  nodeId: number;
  storage: SimRemoteStorage;
  host?: string;
  /** 0 (default) picks a free port; restarts reuse the port first bound. */
  port?: number;
  /** Base URL of the controller's upcall API, e.g. http://127.0.0.1:1234/upcall/v1/ */
  controlPlaneApi?: string;
  /** Sent as Bearer token on upcalls. */
  controlPlaneToken?: string;
  /** When set, requests (other than GET /v1/status and /sim/...) must carry this Bearer token. */
  requiredToken?: string;
  disk?: SimDisk;
  /** How long a tenant or timeline deletion takes after its 202. */
  deletionMs?: number;
  /** Pause before re-attach retry n: default min(1.1^n, 3) s. */
  reAttachBackoffMs?: (attempt: number) => number;
  /**
   * After a start's re-attach, how long tenant calls still get 503 while tenants load (default
   * 0). A restart may give its own (RestartPlan.startingMs).
   */
  startingMs?: number;
  /**
   * Refuse (400) a location_config in a generation lower than the attached one, as newer
   * pageservers do. Off by default: a pageserver obeys what it is told, and fencing stale
   * generations is the job of remote storage and validate, not of the simulator.
   */
  refuseLowerGeneration?: boolean;
  log?: (message: string) => void;
}

const INITDB_LSN = 0x169ad58n;

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

function zodMessage(error: z.ZodError): string {
  return error.issues
    .map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field ${i.keys.join(', ')}`
        : `${i.path.join('.')}: ${i.message}`,
    )
    .join('; ');
}

function isAttached(mode: string): boolean {
  return mode === 'AttachedSingle' || mode === 'AttachedMulti' || mode === 'AttachedStale';
}

export class PageserverSim {
  readonly nodeId: number;
  readonly disk: SimDisk;
  readonly faults = new FaultInjector();
  private server: Server | undefined;
  private boundPort: number;
  private readonly host: string;
  private active = false;
  private stopped = true;
  private reAttachLoop: Promise<void> | undefined;
  private hanging = new Set<ServerResponse>();
  /** Requests whose answer is to be lost: how long to hold it before dropping the connection. */
  private readonly lost = new WeakMap<ServerResponse, number>();
  private restarting: Promise<void> | undefined;
  private startingMs = 0;
  reAttachAttempts = 0;
  /** Restarts so far (by restart() or a restart fault). */
  restarts = 0;

  constructor(private readonly options: PageserverSimOptions) {
    this.nodeId = options.nodeId;
    this.disk = options.disk ?? new SimDisk();
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
  }

  get port(): number {
    return this.boundPort;
  }

  get baseUrl(): string {
    return `http://${this.host}:${this.boundPort}`;
  }

  get isActive(): boolean {
    return this.active;
  }

  get isRunning(): boolean {
    return !this.stopped;
  }

  /** Starts serving; tenant calls get 503 until re-attach is done and `startingMs` more passed. */
  async start(startingMs = this.options.startingMs ?? 0): Promise<void> {
    this.stopped = false;
    this.active = false;
    this.startingMs = startingMs;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        const status = error instanceof HttpError ? error.status : 500;
        const body =
          error instanceof HttpError && error.body !== undefined
            ? error.body
            : { msg: (error as Error).message };
        if (!res.headersSent) this.send(req, res, status, body);
      });
    });
    this.boundPort = await listen(this.server, this.host, this.boundPort);
    this.reportHolder();
    this.reAttachLoop = this.options.controlPlaneApi ? this.reAttach() : this.becomeActive();
  }

  /** After re-attach: tenants load for startingMs (tenant calls get 503), then the node is active. */
  private async becomeActive(): Promise<void> {
    const until = Date.now() + this.startingMs;
    while (!this.stopped && Date.now() < until)
      await new Promise((r) => setTimeout(r, Math.min(20, until - Date.now())));
    if (this.stopped) return;
    this.active = true;
    this.reportHolder();
  }

  async stop(): Promise<void> {
    // A restart in progress finishes first (it is bounded), so that stop() leaves the node stopped.
    await this.restarting;
    await this.stopNow();
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    this.active = false;
    this.reportHolder();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (this.server) await close(this.server);
    this.server = undefined;
    await this.reAttachLoop;
  }

  /**
   * Stops, stays down for `downMs` (connections refused), starts again, and answers tenant calls
   * with 503 until its re-attach is done and `startingMs` more passed. A restart asked for while
   * one runs joins it.
   */
  async restart(plan: RestartPlan = {}): Promise<void> {
    if (this.restarting) return this.restarting;
    this.restarts += 1;
    this.restarting = (async () => {
      await this.stopNow();
      if (plan.downMs) await new Promise((r) => setTimeout(r, plan.downMs));
      await this.start(plan.startingMs ?? this.options.startingMs ?? 0);
    })().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  /** Whether a restart is under way (stopped, down, or not yet started again). */
  get isRestarting(): boolean {
    return this.restarting !== undefined;
  }

  /** Resolves once re-attach has completed (or immediately without a control plane). */
  async waitUntilActive(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.active) {
      if (Date.now() > deadline) throw new Error(`pageserver ${this.nodeId} did not become active`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Current locations: shard id → its config (what GET /v1/location_config reports). */
  locations(): Array<{ shard: string; conf: LocationConfig }> {
    return [...this.disk.locations].map(([shard, loc]) => ({ shard, conf: loc.conf }));
  }

  private upcallUrl(name: string): string {
    const base = this.options.controlPlaneApi!;
    return `${base.endsWith('/') ? base : `${base}/`}${name}`;
  }

  private async upcall(name: string, body: unknown): Promise<Response> {
    return fetch(this.upcallUrl(name), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.controlPlaneToken
          ? { authorization: `Bearer ${this.options.controlPlaneToken}` }
          : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** Asks the controller which shards to run attached, retrying until it answers (404 until registered). */
  private async reAttach(): Promise<void> {
    const backoff = this.options.reAttachBackoffMs ?? ((n: number) => Math.min(1.1 ** n, 3) * 1000);
    for (let attempt = 0; !this.stopped; attempt++) {
      this.reAttachAttempts += 1;
      try {
        const res = await this.upcall('re-attach', { node_id: this.nodeId });
        if (res.ok) {
          const body = (await res.json()) as { tenants: Array<{ id: string; gen: number }> };
          if (this.stopped) return;
          this.applyReAttach(body.tenants);
          this.options.log?.(`pageserver ${this.nodeId}: re-attached ${body.tenants.length} shards`);
          await this.becomeActive();
          return;
        }
        await res.arrayBuffer();
      } catch {
        // controller not up yet
      }
      const pause = attempt === 0 ? 0 : backoff(attempt);
      const until = Date.now() + pause;
      while (!this.stopped && Date.now() < until)
        await new Promise((r) => setTimeout(r, Math.min(50, pause)));
    }
  }

  /** The pageserver contract: listed shards attached in their new generation, other attached ones dropped, secondaries kept. */
  private applyReAttach(tenants: Array<{ id: string; gen: number }>): void {
    const listed = new Map(tenants.map((t) => [t.id, t.gen]));
    for (const [shard, loc] of [...this.disk.locations]) {
      const gen = listed.get(shard);
      if (gen !== undefined) {
        loc.conf = { ...loc.conf, mode: 'AttachedSingle', generation: gen, secondary_conf: null };
        this.options.storage.recordIssued(shard, gen, this.nodeId, 'AttachedSingle');
      } else if (isAttached(loc.conf.mode)) {
        this.disk.locations.delete(shard);
      }
    }
    for (const [shard, gen] of listed) {
      if (this.disk.locations.has(shard)) continue;
      // Listed but not on local disk: attach from remote storage with default parameters.
      const id = parseTenantShardId(shard);
      this.disk.locations.set(shard, {
        conf: {
          mode: 'AttachedSingle',
          generation: gen,
          secondary_conf: null,
          shard_number: id.number,
          shard_count: id.count,
          shard_stripe_size: 32768,
          tenant_conf: {},
        },
        timelines: this.download(shard),
      });
      this.options.storage.recordIssued(shard, gen, this.nodeId, 'AttachedSingle');
    }
  }

  /** An attached location uploads its timelines; a secondary or stale one does not. */
  private upload(shard: string): void {
    const loc = this.disk.locations.get(shard);
    if (!loc || (loc.conf.mode !== 'AttachedSingle' && loc.conf.mode !== 'AttachedMulti')) return;
    this.options.storage.uploadTimelines(
      shard,
      [...loc.timelines.values()].filter((t) => t.deletingUntil === undefined),
    );
  }

  /** A new attachment or a secondary download brings the timelines from remote storage. */
  private download(shard: string): Map<string, SimTimeline> {
    return new Map(this.options.storage.downloadTimelines(shard).map((t) => [t.timeline_id, t]));
  }

  /** Ingest: moves a timeline's last_record_lsn forward (recorded as a remote write). */
  advanceLsn(shard: string, timelineId: string, by = 0x1000n): bigint {
    const loc = this.disk.locations.get(shard);
    const tl = loc?.timelines.get(timelineId);
    if (!loc || !tl) throw new HttpError(404, `NotFound: timeline ${timelineId} of ${shard}`);
    tl.last_record_lsn += by;
    if (loc.conf.generation !== null)
      this.options.storage.recordWrite(shard, loc.conf.generation, this.nodeId, 'ingest');
    this.upload(shard);
    return tl.last_record_lsn;
  }

  /** Runs queued deletions for attached shards, after asking the controller to validate their generations. */
  async flushDeletions(): Promise<Array<{ id: string; valid: boolean }>> {
    const attached = [...this.disk.locations].filter(
      ([, l]) => isAttached(l.conf.mode) && l.conf.generation !== null,
    );
    if (attached.length === 0) return [];
    const validatedAt = this.options.storage.now();
    const res = await this.upcall('validate', {
      tenants: attached.map(([shard, l]) => ({ id: shard, gen: l.conf.generation })),
    });
    if (!res.ok) throw new Error(`validate answered ${res.status}`);
    const body = (await res.json()) as { tenants: Array<{ id: string; valid: boolean }> };
    for (const { id, valid } of body.tenants) {
      const sent = attached.find(([shard]) => shard === id)?.[1].conf.generation;
      if (valid && sent != null)
        this.options.storage.recordDeletion(id, sent, this.nodeId, { validatedAt, what: 'queued deletions' });
    }
    return body.tenants;
  }

  private finishDeletions(now = Date.now()): void {
    const storage = this.options.storage;
    for (const [shard, loc] of [...this.disk.locations]) {
      if (loc.deletingUntil !== undefined && loc.deletingUntil <= now) {
        this.disk.locations.delete(shard);
        if (loc.deletion)
          storage.recordDeletion(shard, loc.deletion.generation, this.nodeId, {
            validatedAt: loc.deletion.acceptedAt,
            untilWall: loc.deletingUntil,
            what: 'tenant',
          });
        continue;
      }
      for (const [id, tl] of [...loc.timelines]) {
        if (tl.deletingUntil !== undefined && tl.deletingUntil <= now) {
          loc.timelines.delete(id);
          if (tl.deletion)
            storage.recordDeletion(shard, tl.deletion.generation, this.nodeId, {
              validatedAt: tl.deletion.acceptedAt,
              untilWall: tl.deletingUntil,
              what: `timeline ${id}`,
            });
        }
      }
    }
  }

  /** Deletions complete on time, not only when the next request comes. */
  private scheduleFinish(ms: number): void {
    setTimeout(() => {
      if (!this.stopped) this.finishDeletions();
    }, ms + 1).unref();
  }

  /** Sends an answer, or loses it (drops the connection) if a fault said so. */
  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    const dropAfterMs = this.lost.get(res);
    if (dropAfterMs === undefined) return sendJson(req, res, status, body);
    this.options.log?.(`pageserver ${this.nodeId}: ${req.method} ${req.url} served (${status}), answer lost`);
    this.holdThenDrop(res, dropAfterMs);
  }

  /** Holds a request open, then drops its connection (at once for 0; never for undefined). */
  private holdThenDrop(res: ServerResponse, dropAfterMs: number | undefined): void {
    if (dropAfterMs === 0) {
      res.destroy();
      return;
    }
    this.hanging.add(res);
    res.on('close', () => this.hanging.delete(res));
    if (dropAfterMs !== undefined) setTimeout(() => res.destroy(), dropAfterMs).unref();
  }

  private checkAuth(req: IncomingMessage, path: string): void {
    const token = this.options.requiredToken;
    if (!token || path === '/v1/status' || path.startsWith('/sim/')) return;
    const header = req.headers.authorization;
    if (!header) throw new HttpError(401, 'Unauthorized: missing authorization header');
    if (header !== `Bearer ${token}`) throw new HttpError(403, 'Forbidden: JWT authentication error');
  }

  private requireActive(): void {
    if (!this.active)
      throw new HttpError(
        503,
        this.stopped ? 'Shutting down' : 'Not yet active: waiting for re-attach and tenant loading',
      );
  }

  private attachedLocation(shard: string): SimLocation {
    const loc = this.disk.locations.get(shard);
    if (!loc || !isAttached(loc.conf.mode) || loc.deletingUntil !== undefined) {
      throw new HttpError(404, `NotFound: tenant ${shard} is not attached here`);
    }
    return loc;
  }

  /** Tells remote storage which shards this node now serves in AttachedSingle. */
  private reportHolder(): void {
    const singles = this.active
      ? [...this.disk.locations].filter(([, l]) => l.conf.mode === 'AttachedSingle').map(([shard]) => shard)
      : [];
    this.options.storage.reportHolder(this.nodeId, singles);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.handleRequest(req, res);
    } finally {
      this.reportHolder();
    }
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (!path.startsWith('/sim/')) {
      const decision = this.faults.decide(method, path);
      if (decision.kind === 'hang') return this.holdThenDrop(res, decision.dropAfterMs);
      if (decision.kind === 'fail')
        throw new HttpError(decision.status, `injected fault: ${decision.status}`);
      if (decision.kind === 'delay') await new Promise((r) => setTimeout(r, decision.ms));
      if (decision.kind === 'applyThenDrop') this.lost.set(res, decision.dropAfterMs);
      if (decision.kind === 'restart') {
        if (!this.restarting) {
          this.options.log?.(`pageserver ${this.nodeId}: restarting (fault on ${method} ${path})`);
          res.once('finish', () => void this.restart(decision.plan));
        }
        throw new HttpError(503, 'Shutting down');
      }
    }
    this.checkAuth(req, path);
    this.finishDeletions();
    const body = method === 'GET' ? null : await readJson(req);
    const reply = (status: number, value: unknown) => this.send(req, res, status, value);
    if (path.startsWith('/sim/')) return this.handleControl(method, path, body, reply);
    if (method === 'GET' && path === '/v1/status') return reply(200, { id: this.nodeId });
    if (method === 'GET' && path === '/v1/utilization') {
      const used = this.disk.locations.size * 1_000_000;
      return reply(200, {
        disk_usage_bytes: used,
        free_space_bytes: 1_000_000_000_000 - used,
        utilization_score: used,
        captured_at: new Date().toISOString(),
      });
    }
    if (method === 'GET' && path === '/v1/location_config') {
      return reply(200, { tenant_shards: [...this.disk.locations].map(([shard, loc]) => [shard, loc.conf]) });
    }
    const m = /^\/v1\/tenant\/([^/]+)(\/.*)?$/.exec(path);
    if (m) {
      const shard = m[1]!;
      const rest = m[2] ?? '';
      try {
        parseTenantShardId(shard);
      } catch (error) {
        throw new HttpError(400, `failed to parse tenant_shard_id: ${(error as Error).message}`);
      }
      this.requireActive();
      return this.handleTenant(method, shard, rest, url.searchParams, body, reply);
    }
    throw new HttpError(404, `NotFound: no route ${method} ${path}`);
  }

  private handleTenant(
    method: string,
    shard: string,
    rest: string,
    query: URLSearchParams,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): void {
    const storage = this.options.storage;
    if (method === 'PUT' && rest === '/location_config') return this.putLocationConfig(shard, body, reply);
    if (method === 'GET' && rest === '') {
      const loc = this.attachedLocation(shard);
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
      const loc = this.disk.locations.get(shard);
      if (!loc || !isAttached(loc.conf.mode)) throw new HttpError(404, `NotFound: tenant ${shard}`);
      if (loc.deletingUntil !== undefined) throw new HttpError(409, 'Conflict: deletion already in progress');
      loc.deletingUntil = Date.now() + (this.options.deletionMs ?? 100);
      this.scheduleFinish(this.options.deletionMs ?? 100);
      if (loc.conf.generation !== null) {
        storage.recordWrite(shard, loc.conf.generation, this.nodeId, 'delete-tenant');
        loc.deletion = { generation: loc.conf.generation, acceptedAt: storage.now() };
      }
      return reply(202, null);
    }
    if (method === 'PUT' && rest === '/shard_split') return this.shardSplit(shard, body, reply);
    if (method === 'POST' && rest === '/timeline') return this.createTimeline(shard, body, reply);
    if (method === 'GET' && rest === '/timeline') {
      const loc = this.attachedLocation(shard);
      return reply(
        200,
        [...loc.timelines.values()].map((tl) => this.timelineInfo(shard, tl)),
      );
    }
    const m = /^\/timeline\/([0-9a-f]{32})$/.exec(rest);
    if (m) {
      const loc = this.attachedLocation(shard);
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
          storage.recordWrite(shard, loc.conf.generation, this.nodeId, 'delete-timeline');
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
      if (this.disk.locations.has(shard))
        throw new HttpError(400, `tenant ${shard} is managed on this pageserver`);
      storage.recordWrite(shard, -1, this.nodeId, `time-travel ${travelTo}`);
      return reply(200, null);
    }
    if (method === 'POST' && rest === '/secondary/download') {
      const loc = this.disk.locations.get(shard);
      if (loc?.conf.mode !== 'Secondary') throw new HttpError(500, `tenant ${shard} is not a secondary here`);
      loc.timelines = this.download(shard);
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
    const existing = this.disk.locations.get(shard);
    if (req.mode === 'Detached') {
      this.disk.locations.delete(shard);
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
    const timelines = fresh ? this.download(shard) : existing.timelines;
    if (existing && fresh)
      for (const [id, tl] of existing.timelines) if (!timelines.has(id)) timelines.set(id, tl);
    this.disk.locations.set(shard, { conf, timelines });
    this.upload(shard);
    if (generation !== null) {
      this.options.storage.recordIssued(shard, generation, this.nodeId, req.mode);
      if (req.mode !== 'AttachedStale')
        this.options.storage.recordWrite(shard, generation, this.nodeId, 'attach');
    }
    return reply(200, { shards: isAttached(req.mode) ? [{ shard_id: shard, node_id: this.nodeId }] : [] });
  }

  private shardSplit(shard: string, body: unknown, reply: (status: number, value: unknown) => void): void {
    const parsed = z
      .object({
        new_shard_count: z.number().int().min(1).max(255),
        new_stripe_size: z.number().int().positive().nullish(),
      })
      .safeParse(body);
    if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
    const loc = this.disk.locations.get(shard);
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
      this.disk.locations.set(child, {
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
        this.options.storage.recordIssued(child, loc.conf.generation, this.nodeId, 'AttachedSingle');
        this.options.storage.recordWrite(child, loc.conf.generation, this.nodeId, 'split');
      }
      this.upload(child);
    }
    this.disk.locations.delete(shard);
    return reply(200, { new_shards: children });
  }

  private createTimeline(
    shard: string,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): void {
    const loc = this.attachedLocation(shard);
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
      this.options.storage.recordWrite(shard, loc.conf.generation, this.nodeId, 'timeline-create');
    this.upload(shard);
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

  private async handleControl(
    method: string,
    path: string,
    body: unknown,
    reply: (status: number, value: unknown) => void,
  ): Promise<void> {
    if (path === '/sim/v1/faults') {
      if (method === 'GET') return reply(200, this.faults.list());
      if (method === 'DELETE') {
        this.faults.clear();
        for (const res of this.hanging) res.destroy();
        return reply(200, null);
      }
      if (method === 'PUT') {
        const parsed = faultSchema.safeParse(body);
        if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
        this.faults.add(parsed.data as Fault);
        return reply(200, null);
      }
    }
    const m = /^\/sim\/v1\/tenant\/([^/]+)\/timeline\/([0-9a-f]{32})\/advance$/.exec(path);
    if (method === 'POST' && m) {
      const by = BigInt((body as { bytes?: number } | null)?.bytes ?? 0x1000);
      return reply(200, { last_record_lsn: formatLsn(this.advanceLsn(m[1]!, m[2]!, by)) });
    }
    if (method === 'POST' && path === '/sim/v1/restart') {
      const parsed = faultSchema.shape.restart.safeParse(body ?? {});
      if (!parsed.success) throw new HttpError(400, zodMessage(parsed.error));
      reply(200, null);
      // After the answer went out: the restart closes every connection, this one included.
      setImmediate(() => void this.restart(parsed.data ?? {}));
      return;
    }
    if (method === 'POST' && path === '/sim/v1/flush_deletions')
      return reply(200, { tenants: await this.flushDeletions() });
    throw new HttpError(404, `NotFound: no route ${method} ${path}`);
  }
}

export async function startPageserverSim(options: PageserverSimOptions): Promise<PageserverSim> {
  const sim = new PageserverSim(options);
  await sim.start();
  return sim;
}
