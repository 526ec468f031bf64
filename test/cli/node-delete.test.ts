// storcon node-delete (immediate),
// node-start-delete and node-cancel-delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-stack';
import { attachedPerNode, createTenants } from './fleet-support';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args, { timeoutMs: 170_000 });
const SLOW = 180_000;

beforeAll(async () => {
  api = await startTestApi({ pageservers: 4, workflowOptions: { retryIntervalMs: 10 } });
  await createTenants(api, 6, 2);
});
afterAll(() => api.stop());

describe('node deletion', () => {
  it(
    'node-start-delete then node-cancel-delete: the node stays, its policy restored',
    async () => {
      // Slow every location_config so that the deletion still runs when the cancel comes.
      for (const ps of api.stack.fleet.pageservers) ps.faults.add({ path: 'location_config', delayMs: 5000 });
      try {
        const started = expectOk(await cli('node-start-delete', '--node-id', '4'));
        expect(started.stdout).toBe('Delete started for 4\n');
        const cancelled = expectOk(await cli('node-cancel-delete', '--node-id', '4', '--timeout', '60s'));
        expect(cancelled.stdout).toMatch(
          /^Delete was cancelled for node 4\. Scheduling policy is now \w+\n$/,
        );
        expect(cancelled.stdout).not.toContain('Deleting');
      } finally {
        for (const ps of api.stack.fleet.pageservers) ps.faults.clear();
      }
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2', '3', '4']);
    },
    SLOW,
  );

  it(
    'node-start-delete runs to the end: the node leaves the list and nothing is attached there',
    async () => {
      expectOk(await cli('node-start-delete', '--node-id', '3', '--force'));
      for (let i = 0; i < 300; i++) {
        const nodes = JSON.parse(expectOk(await cli('nodes', '--json')).stdout) as Array<{ id: number }>;
        if (!nodes.some((n) => n.id === 3)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2', '4']);
      expect((await attachedPerNode(api)).has(3)).toBe(false);
      expectOk(await cli('consistency-check'));
    },
    SLOW,
  );

  it(
    'node-delete removes a node at once and reschedules its shards; an unknown node is a 404',
    async () => {
      const run = expectOk(await cli('node-delete', '--node-id', '4'));
      expect(run.stdout).toBe('Node 4 deleted\n');
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2']);
      const tenants = JSON.parse(expectOk(await cli('tenants', '--json')).stdout) as Array<{
        shards: Array<{ node_attached: number | null; node_secondary: number[] }>;
      }>;
      for (const shard of tenants.flatMap((t) => t.shards)) {
        expect([shard.node_attached, ...shard.node_secondary]).not.toContain(4);
        expect(shard.node_attached).not.toBeNull();
      }
      const unknown = await cli('node-delete', '--node-id', '4');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^storcon: DELETE \/control\/v1\/node\/4 failed: 404 /);
    },
    SLOW,
  );
});
