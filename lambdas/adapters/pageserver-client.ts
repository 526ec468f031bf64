// The pageserver management API as the controller calls it (reference/wire-formats.md §4).
// Every call has a deadline; transient failures (transport errors, 503/504/408) are retried a
// few times within it; anything else surfaces at once as a PageserverError with the status.
import * as z from 'zod';
import { PageserverError, SupersededError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import type { LocationConfig } from '../core/model/location-config';
import { type NodeAddress, nodeBaseUrl } from '../core/model/node';
import type { PageserverApi, PageserverTimeline, RawResponse, SecondaryProgress } from '../core/ports';

/** What a secondary's status must hold for the controller to read its lag (zod at the edge). */
const secondaryProgress = z.looseObject({
  bytes_total: z.number().nonnegative(),
  bytes_downloaded: z.number().nonnegative(),
});

export interface PageserverClientOptions {
  /** Token sent as `Authorization: Bearer ...` (scope pageserverapi). */
  token?: string;
  /** Deadline of one call, retries included. */
  timeoutMs?: number;
  retries?: number;
}

const TRANSIENT_STATUSES = new Set([408, 503, 504]);

function describe(body: string): string {
  try {
    const parsed = JSON.parse(body) as { msg?: unknown };
    if (parsed && typeof parsed === 'object' && typeof parsed.msg === 'string') return parsed.msg;
  } catch {
    // not JSON: some pageserver errors are bare strings or null
  }
  return body.slice(0, 300);
}

export class PageserverClient implements PageserverApi {
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: PageserverClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
  }

  private async request(
    node: NodeAddress,
    method: string,
    path: string,
    body: unknown,
    accept: (status: number) => boolean,
    timeoutMs = this.timeoutMs,
    stillCurrent?: () => Promise<boolean>,
  ): Promise<{ status: number; text: string }> {
    const deadline = Date.now() + timeoutMs;
    const url = `${nodeBaseUrl(node)}${path}`;
    for (let attempt = 0; ; attempt++) {
      // A retry must not deliver what has been superseded meanwhile (a re-attach in between would
      // otherwise see its new generation replaced by the older one this call carries).
      if (stillCurrent && !(await stillCurrent()))
        throw new SupersededError(`${method} ${path} on ${nodeBaseUrl(node)}: superseded before it was sent`);
      const remaining = deadline - Date.now();
      let failure: PageserverError;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          },
          // The original client sends a JSON body (often null) on every call; pageservers accept it.
          body: method === 'GET' ? undefined : JSON.stringify(body ?? null),
          signal: AbortSignal.timeout(Math.max(1, remaining)),
        });
        const text = await res.text();
        if (accept(res.status)) return { status: res.status, text };
        failure = new PageserverError(
          `${method} ${path} on ${nodeBaseUrl(node)}: ${res.status} ${describe(text)}`,
          res.status,
          TRANSIENT_STATUSES.has(res.status),
        );
      } catch (error) {
        failure = new PageserverError(
          `${method} ${path} on ${nodeBaseUrl(node)}: ${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}`,
          null,
          true,
        );
      }
      const pause = 100 * 2 ** attempt;
      if (!failure.transient || attempt >= this.retries || Date.now() + pause >= deadline) throw failure;
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  async putLocationConfig(
    node: NodeAddress,
    id: TenantShardId,
    conf: LocationConfig,
    options: { flushMs?: number; timeoutMs?: number; stillCurrent?: () => Promise<boolean> } = {},
  ) {
    const tsid = formatTenantShardId(id);
    const query = options.flushMs === undefined ? '' : `?flush_ms=${options.flushMs}`;
    await this.request(
      node,
      'PUT',
      `/v1/tenant/${tsid}/location_config${query}`,
      { tenant_id: tsid, ...conf },
      (s) => s === 200,
      options.timeoutMs,
      options.stillCurrent,
    );
  }

  async listLocationConfigs(
    node: NodeAddress,
    timeoutMs?: number,
  ): Promise<Array<[string, LocationConfig | null]>> {
    const { text } = await this.request(
      node,
      'GET',
      '/v1/location_config',
      null,
      (s) => s === 200,
      timeoutMs,
    );
    return (JSON.parse(text) as { tenant_shards: Array<[string, LocationConfig | null]> }).tenant_shards;
  }

  async createTimeline(node: NodeAddress, id: TenantShardId, request: Record<string, unknown>) {
    const { text } = await this.request(
      node,
      'POST',
      `/v1/tenant/${formatTenantShardId(id)}/timeline`,
      request,
      (s) => s === 201 || s === 200,
    );
    return JSON.parse(text) as PageserverTimeline;
  }

  async listTimelines(node: NodeAddress, id: TenantShardId) {
    const { text } = await this.request(
      node,
      'GET',
      `/v1/tenant/${formatTenantShardId(id)}/timeline`,
      null,
      (s) => s === 200,
    );
    return JSON.parse(text) as PageserverTimeline[];
  }

  /** 202: still deleting; 404: gone. */
  async deleteTimeline(
    node: NodeAddress,
    id: TenantShardId,
    timelineId: string,
  ): Promise<'in-progress' | 'done'> {
    const { status } = await this.request(
      node,
      'DELETE',
      `/v1/tenant/${formatTenantShardId(id)}/timeline/${timelineId}`,
      null,
      (s) => s === 202 || s === 404 || s === 200,
    );
    return status === 404 ? 'done' : 'in-progress';
  }

  async deleteTenant(node: NodeAddress, id: TenantShardId): Promise<'in-progress' | 'done'> {
    const { status } = await this.request(
      node,
      'DELETE',
      `/v1/tenant/${formatTenantShardId(id)}`,
      null,
      (s) => [200, 202, 404].includes(s),
    );
    return status === 404 ? 'done' : 'in-progress';
  }

  async shardSplit(
    node: NodeAddress,
    id: TenantShardId,
    newShardCount: number,
    newStripeSize?: number | null,
    stillCurrent?: () => Promise<boolean>,
  ): Promise<string[]> {
    const { text } = await this.request(
      node,
      'PUT',
      `/v1/tenant/${formatTenantShardId(id)}/shard_split`,
      { new_shard_count: newShardCount, new_stripe_size: newStripeSize ?? null },
      (s) => s === 200,
      undefined,
      stillCurrent,
    );
    return (JSON.parse(text) as { new_shards: string[] }).new_shards;
  }

  async timeTravel(node: NodeAddress, id: TenantShardId, travelTo: string, doneIfAfter: string) {
    const query = `travel_to=${encodeURIComponent(travelTo)}&done_if_after=${encodeURIComponent(doneIfAfter)}`;
    await this.request(
      node,
      'PUT',
      `/v1/tenant/${formatTenantShardId(id)}/time_travel_remote_storage?${query}`,
      null,
      (s) => s === 200,
    );
  }

  async secondaryDownload(node: NodeAddress, id: TenantShardId) {
    await this.request(
      node,
      'POST',
      `/v1/tenant/${formatTenantShardId(id)}/secondary/download`,
      null,
      (s) => s === 200,
    );
  }

  async secondaryStatus(node: NodeAddress, id: TenantShardId): Promise<SecondaryProgress> {
    const { text } = await this.request(
      node,
      'GET',
      `/v1/tenant/${formatTenantShardId(id)}/secondary/status`,
      null,
      (s) => s === 200,
    );
    return secondaryProgress.parse(JSON.parse(text));
  }

  /** A GET passed through verbatim: any status is returned, not thrown. */
  async rawGet(node: NodeAddress, pathAndQuery: string): Promise<RawResponse> {
    const res = await fetch(`${nodeBaseUrl(node)}${pathAndQuery}`, {
      headers: this.options.token ? { authorization: `Bearer ${this.options.token}` } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((error: Error) => {
      throw new PageserverError(`GET ${pathAndQuery} on ${nodeBaseUrl(node)}: ${error.message}`, null, true);
    });
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? 'application/json',
      body: await res.text(),
    };
  }
}
