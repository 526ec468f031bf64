// A simulated pageserver: a real HTTP server with the management API the controller calls
// (reference/wire-formats.md §4, §5; tenant endpoints in pageserver-tenant-api.ts), re-attach on
// start, a disk that survives restarts (pageserver-state.ts), faults, and shared remote storage.
// It is no kinder than a real pageserver: it obeys any generation it is told (refusing a lower one
// only when asked to), a restart takes time (503 meanwhile), and an answer can be lost.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { formatLsn, parseTenantShardId } from '../../lambdas/core/ids';
import type { LocationConfig } from '../../lambdas/core/model/location-config';
import { type Fault, FaultInjector, faultSchema, type RestartPlan } from './faults';
import { close, HttpError, listen, locationConfigTarget, postUpcall, readJson, sendJson } from './http-util';
import { isAttached, NodeState, type ReAttachEntry, SimDisk } from './pageserver-state';
import { TenantApi, zodMessage } from './pageserver-tenant-api';
import { reAttachRequest } from './re-attach-request';
import type { SimRemoteStorage } from './remote-storage';

export { type RunningDeletion, SimDisk, type SimLocation, type SimTimeline } from './pageserver-state';

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
  /** Self-registration in re-attach (default on), with this AZ: re-attach-request.ts. */
  selfRegister?: boolean;
  availabilityZoneId?: string;
  /** Pause before re-attach retry n: default min(1.1^n, 3) s. */
  reAttachBackoffMs?: (attempt: number) => number;
  /** After re-attach, how long tenant calls still get 503 (default 0; see RestartPlan). */
  startingMs?: number;
  /**
   * Refuse (400) a location_config in a generation lower than the attached one, as newer
   * pageservers do. Off by default: a pageserver obeys what it is told, and fencing stale
   * generations is the job of remote storage and validate, not of the simulator.
   */
  refuseLowerGeneration?: boolean;
  log?: (message: string) => void;
}

export class PageserverSim {
  readonly nodeId: number;
  readonly disk: SimDisk;
  readonly faults = new FaultInjector();
  /** The node's state: tests reach in to set what no endpoint sets (secondaryLag). */
  readonly state: NodeState;
  private readonly tenantApi: TenantApi;
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
    this.state = new NodeState(options.nodeId, this.disk, options.storage);
    this.tenantApi = new TenantApi(this.state, options, this.faults, (ms) => this.scheduleFinish(ms));
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
    return this.state.locations();
  }

  /** Ingest: moves a timeline's last_record_lsn forward (recorded as a remote write). */
  advanceLsn(shard: string, timelineId: string, by = 0x1000n): bigint {
    return this.state.advanceLsn(shard, timelineId, by);
  }

  private upcall(name: string, body: unknown): Promise<Response> {
    return postUpcall(this.options.controlPlaneApi!, name, body, this.options.controlPlaneToken);
  }

  /** Asks the controller which shards to run attached, retrying until it answers (404 until registered). */
  private async reAttach(): Promise<void> {
    const backoff = this.options.reAttachBackoffMs ?? ((n: number) => Math.min(1.1 ** n, 3) * 1000);
    const request = reAttachRequest(this.nodeId, this.host, this.boundPort, this.disk, this.options);
    for (let attempt = 0; !this.stopped; attempt++) {
      this.reAttachAttempts += 1;
      try {
        const res = await this.upcall('re-attach', request);
        if (res.ok) {
          const body = (await res.json()) as { tenants: ReAttachEntry[] };
          if (this.stopped) return;
          this.state.applyReAttach(body.tenants);
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

  /** Deletions complete on time, not only when the next request comes. */
  private scheduleFinish(ms: number): void {
    setTimeout(() => {
      if (!this.stopped) this.state.finishDeletions();
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

  /** Tells remote storage which shards this node now serves in AttachedSingle. */
  private reportHolder(): void {
    const singles = this.active ? this.state.attachedSingles() : [];
    this.options.storage.reportHolder(this.nodeId, singles);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.handleRequest(req, res);
    } catch (error) {
      this.noteRefusal(req);
      throw error;
    } finally {
      this.reportHolder();
    }
  }

  /** A location_config this node did not serve (refused, hung, restarting) is told to storage. */
  private noteRefusal(req: IncomingMessage): void {
    const shard = locationConfigTarget(req);
    if (shard) this.options.storage.recordRefused(this.nodeId, shard);
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (!path.startsWith('/sim/')) {
      const decision = this.faults.decide(method, path);
      if (decision.kind === 'hang') {
        this.noteRefusal(req);
        return this.holdThenDrop(res, decision.dropAfterMs);
      }
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
    this.state.finishDeletions();
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
      return this.tenantApi.handle(method, shard, rest, url.searchParams, body, reply);
    }
    throw new HttpError(404, `NotFound: no route ${method} ${path}`);
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
