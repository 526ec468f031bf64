// Tenants for the pending CLI tests: many shards, each with a secondary, made through the API.
import { expect } from 'vitest';
import { randomTenantId, type TestApi } from '../support/api-stack';

/** `count` tenants of `shardCount` shards (0 = unsharded), placement Attached(1). */
export async function createTenants(api: TestApi, count: number, shardCount: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', {
      body: {
        new_tenant_id: id,
        shard_parameters: { count: shardCount, stripe_size: 32768 },
        placement_policy: { Attached: 1 },
      },
    });
    expect(res.status, res.text).toBe(201);
    ids.push(id);
  }
  return ids;
}

/** Attached shards per node id, from the scheduler's view. */
export async function attachedPerNode(api: TestApi): Promise<Map<number, number>> {
  const dump = (await api.call('GET', '/debug/v1/scheduler')).body as {
    nodes: Record<string, { attached_count: number }>;
  };
  return new Map(Object.entries(dump.nodes).map(([id, n]) => [Number(id), n.attached_count]));
}
