// storcon start-drain, cancel-drain, start-fill and cancel-fill against a local stack, with
// progress on stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-stack';
import { attachedPerNode, createTenants } from './fleet-support';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args, { timeoutMs: 170_000 });
const SLOW = 180_000;

beforeAll(async () => {
  api = await startTestApi({ pageservers: 3, workflowOptions: { retryIntervalMs: 10 } });
  await createTenants(api, 6, 4);
});
afterAll(() => api.stop());

describe('drain and fill', () => {
  it(
    'start-drain waits with a progress bar until PauseForRestart and nothing is attached there',
    async () => {
      const before = (await attachedPerNode(api)).get(1)!;
      expect(before).toBeGreaterThan(0);
      const run = expectOk(await cli('start-drain', '--node-id', '1'));
      expect(run.stdout).toBe(`Drain of node 1 done: ${before} shards moved, 0 left attached\n`);
      expect(run.stderr).toMatch(
        new RegExp(`drain node 1: \\[#+\\] ${before}/${before} moved · PauseForRestart`),
      );
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows[1]!.slice(3, 6)).toEqual(['PauseForRestart', 'Active', '0']);
      // Node configuration is left to the operation's owner meanwhile; a second drain is refused.
      const again = await cli('start-drain', '--node-id', '1');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^storcon: PUT \/control\/v1\/node\/1\/drain failed: 4\d\d /);
    },
    SLOW,
  );

  it(
    'start-fill after the restart brings the node back to the mean; --json gives the figures',
    async () => {
      await api.stack.fleet.byId(1).restart({ downMs: 100, startingMs: 100 });
      // Re-attach sets it Active again.
      for (let i = 0; i < 100; i++) {
        const nodes = JSON.parse(expectOk(await cli('nodes', '--json')).stdout) as Array<{
          id: number;
          scheduling: string;
        }>;
        if (nodes.find((n) => n.id === 1)?.scheduling === 'Active') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const run = expectOk(await cli('start-fill', '--node-id', '1', '--json'));
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ before: 0, node: { id: 1, scheduling: 'Active' } });
      const counts = [...(await attachedPerNode(api)).values()];
      expect(result.after).toBe((await attachedPerNode(api)).get(1));
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
      expect(run.stderr).toMatch(/fill node 1: \[#*-*\] \d+\/\d+ attached \(target \d+\)/);
    },
    SLOW,
  );

  it(
    'cancel-drain stops a running drain and waits for the node to be Active',
    async () => {
      // Slow every location_config so that the drain is still running when the cancel comes.
      for (const ps of api.stack.fleet.pageservers) ps.faults.add({ path: 'location_config', delayMs: 400 });
      try {
        expectOk(await cli('start-drain', '--node-id', '2', '--no-wait'));
        const run = expectOk(await cli('cancel-drain', '--node-id', '2', '--timeout', '60s'));
        expect(run.stdout).toBe('Drain was cancelled for node 2. Scheduling policy is now Active\n');
        expect(run.stderr).toContain('Waiting for node 2 to quiesce on scheduling policy ...');
      } finally {
        for (const ps of api.stack.fleet.pageservers) ps.faults.clear();
      }
    },
    SLOW,
  );

  it(
    'cancel-fill with no fill running exits 1 with the server 412',
    async () => {
      const run = await cli('cancel-fill', '--node-id', '3');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^storcon: DELETE \/control\/v1\/node\/3\/fill failed: 412 /);
      const unknown = await cli('start-drain', '--node-id', '42');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/failed: 404 /);
      expectOk(await cli('consistency-check'));
    },
    SLOW,
  );
});
