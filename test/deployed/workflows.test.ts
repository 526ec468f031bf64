// The two workflow routes, followed to their end whether they answer 200 or 202: split every
// shard of a tenant, and live-migrate a shard to another node, keeping its timelines.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { shardSplitOut, tenantLocateOut, timelineInfoOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, parsed, REQUIRED_SCHEDULABLE_NODES } from './support/api';
import { shown } from './support/target';

const api = new DeployedApi();
afterAll(() => api.cleanUp());

async function locate(tenantId: string) {
  return parsed(tenantLocateOut, await api.call('GET', `/control/v1/tenant/${tenantId}/locate`));
}

describe('shard split', () => {
  it('splits an unsharded tenant in two; a repeat answers with the same children', async () => {
    const tenantId = await api.createTenant(0);
    const children = [`${tenantId}-0002`, `${tenantId}-0102`];
    const reply = await api.call('PUT', `/control/v1/tenant/${tenantId}/shard_split`, {
      body: { new_shard_count: 2 },
    });
    const result = shardSplitOut.parse(await api.settle(reply));
    expect(result.new_shards).toEqual(children);
    const located = await locate(tenantId);
    expect(located.shard_params.count).toBe(2);
    expect(located.shards.map((s) => s.shard_id)).toEqual(children);

    const repeat = await api.call('PUT', `/control/v1/tenant/${tenantId}/shard_split`, {
      body: { new_shard_count: 2 },
    });
    expect(repeat.status, shown(repeat)).toBe(200);
    expect(parsed(shardSplitOut, repeat).new_shards).toEqual(children);
    const fewer = await api.call('PUT', `/control/v1/tenant/${tenantId}/shard_split`, {
      body: { new_shard_count: 1 },
    });
    expect(fewer.status, shown(fewer)).toBe(400);
  });
});

describe('live migration', () => {
  it('moves a shard to another node; its timelines come along', async () => {
    const tenantId = await api.createTenant(0);
    const timelineId = randomBytes(16).toString('hex');
    const made = await api.call('POST', `/v1/tenant/${tenantId}/timeline`, {
      body: { new_timeline_id: timelineId },
    });
    expect(made.status, shown(made)).toBe(201);

    const origin = (await locate(tenantId)).shards[0]!.node_id;
    const destination = (await api.schedulableNodes()).find((n) => n.id !== origin);
    if (!destination) {
      throw new Error(
        `migrate needs ${REQUIRED_SCHEDULABLE_NODES} schedulable nodes; none besides node ${origin}`,
      );
    }
    const reply = await api.call('PUT', `/control/v1/tenant/${tenantId}/migrate`, {
      body: { tenant_shard_id: tenantId, node_id: destination.id },
    });
    expect(await api.settle(reply)).toEqual({});

    const located = await locate(tenantId);
    expect(located.shards.map((s) => [s.shard_id, s.node_id])).toEqual([[tenantId, destination.id]]);
    expect(located.shards[0]).toMatchObject({
      listen_http_addr: destination.listen_http_addr,
      listen_http_port: destination.listen_http_port,
    });
    // Read through the pass-through, which now asks the destination.
    const timelines = await api.call('GET', `/v1/tenant/${tenantId}/timeline`);
    expect(timelines.status, shown(timelines)).toBe(200);
    expect(parsed(z.array(timelineInfoOut), timelines).map((t) => t.timeline_id)).toEqual([timelineId]);
  });
});
