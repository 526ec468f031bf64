// storcon rolling-restart over 3 simulated pageservers, with a restart hook, and without one (the
// operator restarts the node when told).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-stack';
import { attachedPerNode, createTenants } from './fleet-support';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const SLOW = 300_000;
const TOTAL = 60;

beforeAll(async () => {
  api = await startTestApi({ pageservers: 3, workflowOptions: { retryIntervalMs: 10 } });
  await createTenants(api, 5, 8);
  await createTenants(api, 20, 0);
});
afterAll(() => api.stop());

// The simulator restarts itself on POST /sim/v1/restart: the hook an operator would write for it.
const HOOK =
  'curl -sf -o /dev/null -X POST "http://$STORCON_NODE_HTTP_ADDR:$STORCON_NODE_HTTP_PORT/sim/v1/restart" -d \'{"downMs":200,"startingMs":200}\'';

describe('rolling-restart', () => {
  it(
    'drains, restarts (hook) and fills every node in turn, and ends balanced',
    async () => {
      const restartsBefore = api.stack.fleet.pageservers.map((p) => p.restarts);
      const run = expectOk(
        await storcon(api.stack.url, ['rolling-restart', '--restart-hook', HOOK], { timeoutMs: 290_000 }),
      );
      const table = tableRows(run.stdout.slice(0, run.stdout.lastIndexOf('\nRolling restart')));
      expect(table[0]).toEqual([
        'Node',
        'Moved away',
        'Left attached',
        'Drain',
        'Restart',
        'Filled to',
        'Fill',
      ]);
      expect(table.slice(1).map((r) => r[0])).toEqual(['1', '2', '3']);
      for (const row of table.slice(1)) expect(row[2], `node ${row[0]} left attached`).toBe('0');
      expect(run.stdout).toMatch(
        /Rolling restart of 3 nodes done in .*; attached per node: 1=\d+ 2=\d+ 3=\d+ \(spread \d+\)/,
      );
      expect(api.stack.fleet.pageservers.map((p, i) => p.restarts - restartsBefore[i]!)).toEqual([1, 1, 1]);
      const counts = [...(await attachedPerNode(api)).values()];
      expect(counts.reduce((a, b) => a + b, 0)).toBe(TOTAL);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
      for (const node of [1, 2, 3]) {
        expect(run.stderr).toContain(`[${node}/3] node ${node} (`);
        expect(run.stderr).toMatch(
          new RegExp(`drain node ${node}: \\[#+\\] \\d+/\\d+ moved · PauseForRestart`),
        );
        expect(run.stderr).toMatch(new RegExp(`fill node ${node}: .* · Active`));
      }
      expectOk(await storcon(api.stack.url, ['consistency-check']));
    },
    SLOW,
  );

  it(
    'without a hook it tells the operator to restart the node and waits until it is back',
    async () => {
      const root = join(import.meta.dirname, '..', '..');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'bin/storcon.ts',
          '--api',
          api.stack.url,
          'rolling-restart',
          '--nodes',
          '2',
          '--json',
        ],
        { cwd: root },
      );
      let stdout = '';
      let stderr = '';
      let restarted = false;
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
        // The operator does what they are told.
        if (!restarted && stderr.includes('Restart pageserver 2 (')) {
          restarted = true;
          void api.stack.fleet.byId(2).restart({ downMs: 200, startingMs: 200 });
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, stderr).toBe(0);
      expect(restarted).toBe(true);
      const result = JSON.parse(stdout);
      expect(result.nodes).toHaveLength(1);
      expect(result.nodes[0]).toMatchObject({ node_id: 2, left_attached: 0 });
      expect(
        result.attached
          .map((a: { attached: number }) => a.attached)
          .reduce((a: number, b: number) => a + b, 0),
      ).toBe(TOTAL);
      expect(result.spread).toBeLessThanOrEqual(2);
    },
    SLOW,
  );
});
