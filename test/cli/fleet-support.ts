// Fleets for the CLI tests: tenants with secondaries made through the API, or one made by storcon.
import { expect } from 'vitest';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { expectOk, storcon } from './storcon';

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

export interface DescribedShard {
  tenant_shard_id: string;
  node_attached: number;
  node_secondary: number[];
}

/** `storcon tenant-describe --json`, parsed. */
export async function describeWithCli(url: string, tenant: string) {
  return JSON.parse(
    expectOk(await storcon(url, ['tenant-describe', '--tenant-id', tenant, '--json'])).stdout,
  ) as {
    shards: DescribedShard[];
    config: Record<string, unknown>;
  };
}

/** A local stack of 3 pageservers holding one 2-shard tenant (Attached(1)) created through storcon. */
export async function stackWithTenant(tenant: string): Promise<TestApi> {
  const api = await startTestApi({ pageservers: 3 });
  expectOk(
    await storcon(api.stack.url, [
      'tenant-create',
      '--tenant-id',
      tenant,
      '--shard-count',
      '2',
      '--placement',
      'attached:1',
    ]),
  );
  return api;
}
