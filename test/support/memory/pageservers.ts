// A scriptable fake of the pageserver API. It keeps what each node holds (location configs and
// timelines) so that reads agree with earlier writes, records every call in order, and fails
// calls on request: a whole node down, the next matching calls, or an interceptor that may throw
// (or inspect the store) at the moment of the call.
import { PageserverError, SupersededError } from '../../../lambdas/core/errors';
import { formatTenantShardId, splitChildren, type TenantShardId } from '../../../lambdas/core/ids';
import type { LocationConfig } from '../../../lambdas/core/model/location-config';
import type { NodeAddress } from '../../../lambdas/core/model/node';
import type {
  PageserverApi,
  PageserverTimeline,
  RawResponse,
  SecondaryProgress,
} from '../../../lambdas/core/ports';
import { copy } from './clone';

export type PageserverMethod = keyof PageserverApi;

export interface PageserverCall {
  method: PageserverMethod;
  node: number;
  /** The shard the call is about, formatted; null for node-wide calls. */
  shard: string | null;
  /** The location config sent (putLocationConfig only). */
  conf?: LocationConfig;
  args: unknown[];
}

export type CallMatch = Partial<Pick<PageserverCall, 'method' | 'node' | 'shard'>> & {
  mode?: LocationConfig['mode'];
};

/** Test nodes are addressed `pageserver-<id>`; the fake reads the id back from the address. */
export function testNodeAddress(id: number): NodeAddress {
  return {
    listenHttpAddr: `pageserver-${id}`,
    listenHttpPort: 9898,
    listenPgAddr: `pageserver-${id}`,
    listenPgPort: 6400,
  };
}

function nodeIdOf(node: NodeAddress): number {
  const match = /^pageserver-(\d+)$/.exec(node.listenHttpAddr);
  if (!match) throw new Error(`fake pageservers only know test addresses, got ${node.listenHttpAddr}`);
  return Number(match[1]);
}

export const transientFailure = (message = 'unavailable') => new PageserverError(message, 503, true);
function superseded(message: string): PageserverError {
  const error = new PageserverError(message, null, false);
  error.name = 'SupersededError';
  return error;
}
export const refusal = (status = 400, message = 'refused') => new PageserverError(message, status, false);

function matches(call: PageserverCall, m: CallMatch): boolean {
  return (
    (m.method === undefined || m.method === call.method) &&
    (m.node === undefined || m.node === call.node) &&
    (m.shard === undefined || m.shard === call.shard) &&
    (m.mode === undefined || m.mode === call.conf?.mode)
  );
}

export class FakePageservers implements PageserverApi {
  readonly calls: PageserverCall[] = [];
  /** location_config calls abandoned because their generation was superseded (never sent). */
  readonly abandoned: Array<{ node: number; shard: string; conf: LocationConfig }> = [];
  /** Nodes that do not answer at all. */
  readonly down = new Set<number>();
  /** What each node holds: node → formatted shard id → config. */
  readonly locations = new Map<number, Map<string, LocationConfig>>();
  /** Timelines per node and shard: `${node}/${shard}` → timelines. */
  readonly timelines = new Map<string, PageserverTimeline[]>();
  private readonly failures: Array<{ match: CallMatch; error: Error; times: number }> = [];
  private readonly interceptors: Array<(call: PageserverCall) => void | Promise<void>> = [];

  /** The next `times` calls matching `match` fail with `error` (transient 503 by default). */
  failNext(match: CallMatch, error: Error = transientFailure(), times = 1): void {
    this.failures.push({ match, error, times });
  }

  /** Runs at every call before it takes effect; throwing fails the call. */
  intercept(fn: (call: PageserverCall) => void | Promise<void>): void {
    this.interceptors.push(fn);
  }

  callsTo(match: CallMatch): PageserverCall[] {
    return this.calls.filter((c) => matches(c, match));
  }

  held(node: number): Record<string, LocationConfig> {
    return Object.fromEntries(this.locations.get(node) ?? []);
  }

  private async enter(
    method: PageserverMethod,
    address: NodeAddress,
    id: TenantShardId | null,
    args: unknown[],
    conf?: LocationConfig,
  ): Promise<number> {
    const node = nodeIdOf(address);
    const call: PageserverCall = {
      method,
      node,
      shard: id ? formatTenantShardId(id) : null,
      args: copy(args),
      ...(conf ? { conf: copy(conf) } : {}),
    };
    this.calls.push(call);
    if (this.down.has(node)) throw new PageserverError(`node ${node} did not answer`, null, true);
    const failure = this.failures.find((f) => f.times > 0 && matches(call, f.match));
    if (failure) {
      failure.times -= 1;
      throw failure.error;
    }
    for (const fn of this.interceptors) await fn(call);
    return node;
  }

  private holdings(node: number): Map<string, LocationConfig> {
    let held = this.locations.get(node);
    if (!held) {
      held = new Map();
      this.locations.set(node, held);
    }
    return held;
  }

  async putLocationConfig(
    address: NodeAddress,
    id: TenantShardId,
    conf: LocationConfig,
    options?: { flushMs?: number; timeoutMs?: number; stillCurrent?: () => Promise<boolean> },
  ): Promise<void> {
    // Like the real client, a call whose generation was superseded is abandoned before sending.
    if (options?.stillCurrent && !(await options.stillCurrent())) {
      this.abandoned.push({ node: nodeIdOf(address), shard: formatTenantShardId(id), conf: copy(conf) });
      throw superseded(`location_config on node ${nodeIdOf(address)}: superseded before it was sent`);
    }
    const { stillCurrent: _, ...recorded } = options ?? {};
    const node = await this.enter('putLocationConfig', address, id, [conf, recorded], conf);
    const shard = formatTenantShardId(id);
    if (conf.mode === 'Detached') this.holdings(node).delete(shard);
    else this.holdings(node).set(shard, copy(conf));
  }

  async listLocationConfigs(address: NodeAddress, timeoutMs?: number) {
    const node = await this.enter('listLocationConfigs', address, null, [timeoutMs]);
    return [...this.holdings(node).entries()].map(
      ([shard, conf]) => [shard, copy(conf)] as [string, LocationConfig | null],
    );
  }

  async createTimeline(address: NodeAddress, id: TenantShardId, request: Record<string, unknown>) {
    const node = await this.enter('createTimeline', address, id, [request]);
    const timeline: PageserverTimeline = {
      tenant_id: id.tenantId,
      timeline_id: String(request.new_timeline_id),
      // A branch without a given LSN branches where the pageserver chooses (here 0/1000).
      ancestor_lsn: request.ancestor_timeline_id ? String(request.ancestor_start_lsn ?? '0/1000') : null,
      last_record_lsn: '0/16B5A50',
    };
    const key = `${node}/${formatTenantShardId(id)}`;
    this.timelines.set(key, [...(this.timelines.get(key) ?? []), timeline]);
    return copy(timeline);
  }

  async listTimelines(address: NodeAddress, id: TenantShardId): Promise<PageserverTimeline[]> {
    const node = await this.enter('listTimelines', address, id, []);
    return copy(this.timelines.get(`${node}/${formatTenantShardId(id)}`) ?? []);
  }

  async deleteTimeline(address: NodeAddress, id: TenantShardId, timelineId: string) {
    const node = await this.enter('deleteTimeline', address, id, [timelineId]);
    const key = `${node}/${formatTenantShardId(id)}`;
    this.timelines.set(
      key,
      (this.timelines.get(key) ?? []).filter((t) => t.timeline_id !== timelineId),
    );
    return 'done' as const;
  }

  async deleteTenant(address: NodeAddress, id: TenantShardId) {
    const node = await this.enter('deleteTenant', address, id, []);
    this.holdings(node).delete(formatTenantShardId(id));
    return 'done' as const;
  }

  /** Splits in place: the children take the parent's location config. */
  async shardSplit(
    address: NodeAddress,
    id: TenantShardId,
    newShardCount: number,
    newStripeSize?: number | null,
    stillCurrent?: () => Promise<boolean>,
  ): Promise<string[]> {
    if (stillCurrent && !(await stillCurrent()))
      throw new SupersededError(`shard_split of ${formatTenantShardId(id)}: superseded before it was sent`);
    const node = await this.enter('shardSplit', address, id, [newShardCount, newStripeSize ?? null]);
    const held = this.holdings(node);
    const parent = formatTenantShardId(id);
    const conf = held.get(parent);
    if (!conf) throw new PageserverError(`${parent} not found on node ${node}`, 404, false);
    const children = splitChildren(id, newShardCount);
    held.delete(parent);
    for (const child of children)
      held.set(formatTenantShardId(child), {
        ...conf,
        shard_number: child.number,
        shard_count: child.count,
        shard_stripe_size: newStripeSize ?? conf.shard_stripe_size,
      });
    return children.map(formatTenantShardId);
  }

  async timeTravel(address: NodeAddress, id: TenantShardId, travelTo: string, doneIfAfter: string) {
    await this.enter('timeTravel', address, id, [travelTo, doneIfAfter]);
  }

  async secondaryDownload(address: NodeAddress, id: TenantShardId): Promise<void> {
    await this.enter('secondaryDownload', address, id, []);
  }

  /** Lag reported by secondaryStatus, by node and shard (absent: warm). */
  readonly secondaryLag = new Map<string, number>();

  async secondaryStatus(address: NodeAddress, id: TenantShardId): Promise<SecondaryProgress> {
    await this.enter('secondaryStatus', address, id, []);
    const lag = this.secondaryLag.get(`${nodeIdOf(address)}/${formatTenantShardId(id)}`) ?? 0;
    return { bytes_total: 1 << 30, bytes_downloaded: (1 << 30) - lag };
  }

  async rawGet(address: NodeAddress, pathAndQuery: string): Promise<RawResponse> {
    await this.enter('rawGet', address, null, [pathAndQuery]);
    return { status: 200, contentType: 'application/json', body: '{}' };
  }
}
