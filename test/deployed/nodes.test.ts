// Node operations that leave the fleet as they found it: list, describe, re-register identically,
// pause scheduling and restore it. The suite never takes a node Offline: on a shared deployment
// that would move every other tenant's shards off it.
import { afterAll, describe, expect, it } from 'vitest';
import { tenantLocateOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, type Node, parsed } from './support/api';
import { errorBody, shown } from './support/target';

const api = new DeployedApi();
afterAll(() => api.cleanUp());

/** The node as listed, without its utilization (heartbeats refresh it at any moment). */
async function describeNode(id: number): Promise<Omit<Node, 'utilization'>> {
  const node = (await api.nodes()).find((n) => n.id === id);
  if (!node) throw new Error(`node ${id} is not listed`);
  const { utilization: _u, ...rest } = node;
  return rest;
}

function configure(id: number, change: Record<string, unknown>) {
  return api.call('PUT', `/control/v1/node/${id}/config`, { body: { node_id: id, ...change } });
}

function registration(node: Omit<Node, 'utilization'>) {
  return {
    node_id: node.id,
    listen_pg_addr: node.listen_pg_addr,
    listen_pg_port: node.listen_pg_port,
    listen_http_addr: node.listen_http_addr,
    listen_http_port: node.listen_http_port,
  };
}

describe('nodes', () => {
  it('lists every node once, in the Node shape', async () => {
    const ids = (await api.nodes()).map((n) => n.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes an identical registration again (200) and refuses a changed address (409)', async () => {
    const node = await describeNode((await api.nodes())[0]!.id);
    const same = await api.call('POST', '/control/v1/node', { body: registration(node) });
    expect(same.status, shown(same)).toBe(200);
    const moved = await api.call('POST', '/control/v1/node', {
      body: { ...registration(node), listen_http_port: node.listen_http_port === 1 ? 2 : 1 },
    });
    expect(moved.status, shown(moved)).toBe(409);
    expect(parsed(errorBody, moved).msg).toMatch(/different address/);
    expect(await describeNode(node.id)).toEqual(node);
  });

  it('pauses a node: new shards go elsewhere and migrations to it are refused; then restores it', async () => {
    const node = (await api.schedulableNodes())[0]!;
    try {
      const paused = await configure(node.id, { scheduling: 'Pause' });
      expect(paused.status, shown(paused)).toBe(200);
      expect(paused.body).toBeNull();
      expect(await describeNode(node.id)).toMatchObject({
        scheduling: 'Pause',
        availability: node.availability,
      });

      const tenantId = await api.createTenant(2);
      const located = parsed(tenantLocateOut, await api.call('GET', `/control/v1/tenant/${tenantId}/locate`));
      expect(located.shards.map((s) => s.node_id)).not.toContain(node.id);
      const refused = await api.call('PUT', `/control/v1/tenant/${located.shards[0]!.shard_id}/migrate`, {
        body: { node_id: node.id },
      });
      expect(refused.status, shown(refused)).toBe(400);
      expect(parsed(errorBody, refused).msg).toMatch(/cannot take shards/);
    } finally {
      const restored = await configure(node.id, { scheduling: node.scheduling });
      expect(restored.status, shown(restored)).toBe(200);
    }
    expect(await describeNode(node.id)).toMatchObject({ scheduling: node.scheduling });
  });

  it('sets availability to what it is: 200 and nothing moves', async () => {
    const tenantId = await api.createTenant(0);
    const before = await api.call('GET', `/control/v1/tenant/${tenantId}/locate`);
    const holder = parsed(tenantLocateOut, before).shards[0]!.node_id;
    const node = await describeNode(holder);
    const reply = await configure(holder, { availability: node.availability });
    expect(reply.status, shown(reply)).toBe(200);
    expect(await describeNode(holder)).toEqual(node);
    expect((await api.call('GET', `/control/v1/tenant/${tenantId}/locate`)).body).toEqual(before.body);
  });

  it('answers 404 for a node that is not registered and 400 when path and body disagree', async () => {
    const unknown = Math.max(...(await api.nodes()).map((n) => n.id)) + 1000;
    const missing = await configure(unknown, { scheduling: 'Active' });
    expect(missing.status, shown(missing)).toBe(404);
    expect(parsed(errorBody, missing).msg).toMatch(/not registered/);
    const node = await describeNode((await api.nodes())[0]!.id);
    const differ = await api.call('PUT', `/control/v1/node/${node.id}/config`, {
      body: { node_id: node.id + 1, scheduling: 'Pause' },
    });
    expect(differ.status, shown(differ)).toBe(400);
    expect(parsed(errorBody, differ).msg).toMatch(/differ/);
    expect(await describeNode(node.id)).toEqual(node);
  });
});
