// Tenants as the control plane and an operator see them: create, locate, describe, list, the
// pageserver pass-through, delete.
import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { tenantCreateOut, tenantDescribeOut, tenantLocateOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, parsed } from './support/api';
import { shown } from './support/target';

const api = new DeployedApi();
afterAll(() => api.cleanUp());

describe('tenant create, locate and describe', () => {
  it('creates a sharded tenant on registered nodes and locates each shard there', async () => {
    const tenantId = api.newTenantId();
    const reply = await api.call('POST', '/v1/tenant', {
      body: { new_tenant_id: tenantId, shard_parameters: { count: 2, stripe_size: 32768 } },
    });
    expect(reply.status, shown(reply)).toBe(201);
    const created = parsed(tenantCreateOut, reply);
    expect(created.shards.map((s) => s.shard_id)).toEqual([`${tenantId}-0002`, `${tenantId}-0102`]);

    const nodes = new Map((await api.nodes()).map((n) => [n.id, n]));
    const located = parsed(tenantLocateOut, await api.call('GET', `/control/v1/tenant/${tenantId}/locate`));
    expect(located.shard_params).toEqual({ count: 2, stripe_size: 32768 });
    expect(located.shards.map((s) => s.shard_id)).toEqual([`${tenantId}-0002`, `${tenantId}-0102`]);
    for (const shard of located.shards) {
      const node = nodes.get(shard.node_id);
      expect(node, `shard ${shard.shard_id} on unregistered node ${shard.node_id}`).toBeDefined();
      expect(shard).toMatchObject({
        listen_http_addr: node!.listen_http_addr,
        listen_http_port: node!.listen_http_port,
      });
    }

    const described = parsed(tenantDescribeOut, await api.call('GET', `/control/v1/tenant/${tenantId}`));
    expect(described.tenant_id).toBe(tenantId);
    expect(described.stripe_size).toBe(32768);
    expect(described.shards.map((s) => [s.tenant_shard_id, s.node_attached])).toEqual(
      located.shards.map((s) => [s.shard_id, s.node_id]),
    );
  });

  it('lists a tenant in id order among whatever other tenants exist', async () => {
    const tenantId = await api.createTenant(0);
    const before = (BigInt(`0x${tenantId}`) - 1n).toString(16).padStart(32, '0');
    const reply = await api.call('GET', `/control/v1/tenant?limit=1&start_after=${before}`);
    expect(reply.status, shown(reply)).toBe(200);
    expect(parsed(z.array(tenantDescribeOut), reply).map((t) => t.tenant_id)).toEqual([tenantId]);
  });

  it("relays the tenant's status from the pageserver holding shard zero", async () => {
    const tenantId = await api.createTenant(0);
    // A real pageserver may still be activating the tenant for a moment after the create.
    const starting = (body: unknown) =>
      ['Loading', 'Attaching', 'Activating'].includes(
        (body as { state?: { slug?: string } }).state?.slug ?? '',
      );
    let reply = await api.call('GET', `/v1/tenant/${tenantId}`);
    for (let i = 0; i < 30 && starting(reply.body); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      reply = await api.call('GET', `/v1/tenant/${tenantId}`);
    }
    expect(reply.status, shown(reply)).toBe(200);
    expect(reply.body).toMatchObject({ id: tenantId, state: { slug: 'Active' } });
  });

  it('refuses to create a tenant that exists (409), keeping the first', async () => {
    const tenantId = await api.createTenant(0);
    const again = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: tenantId } });
    expect(again.status, shown(again)).toBe(409);
    expect((await api.call('GET', `/control/v1/tenant/${tenantId}`)).status).toBe(200);
  });
});

describe('tenant delete', () => {
  it('deletes a tenant: 200, then unknown everywhere; a repeat is 200 too', async () => {
    const tenantId = await api.createTenant(2);
    await api.deleteTenant(tenantId);
    for (const path of [`/control/v1/tenant/${tenantId}/locate`, `/v1/tenant/${tenantId}`]) {
      const gone = await api.call('GET', path);
      expect(gone.status, `${path}: ${shown(gone)}`).toBe(404);
    }
    const repeat = await api.call('DELETE', `/v1/tenant/${tenantId}`);
    expect(repeat.status, shown(repeat)).toBe(200);
  });
});
