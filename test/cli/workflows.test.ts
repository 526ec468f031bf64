// storcon's workflow commands and the shard operations that run workflows, against a local stack:
// split and migrate, then `workflows` (status, duration, the step reached), `workflow-describe`
// (steps with durations, the error of a failed step) and `workflow-watch` (live, until the end).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args);
const SLOW = 120_000;
const tenant = randomTenantId();

interface Listed {
  id: string;
  name: string;
  workflow: string;
  status: string;
  step: { name: string; status: string } | null;
}

beforeAll(async () => {
  api = await startTestApi({ pageservers: 3 });
  expectOk(
    await cli('tenant-create', '--tenant-id', tenant, '--shard-count', '2', '--placement', 'attached:0'),
  );
});
afterAll(() => api.stop());

describe('split and migrate', () => {
  it(
    'tenant-shard-split prints the new shards; workflows lists the split with the step it reached',
    async () => {
      const split = expectOk(await cli('tenant-shard-split', '--tenant-id', tenant, '--shard-count', '4'));
      expect(split.stdout).toBe(
        `Split tenant ${tenant} into 4 shards: ${[`${tenant}-0004`, `${tenant}-0204`, `${tenant}-0104`, `${tenant}-0304`].join(',')}\n`,
      );
      expect(split.stderr).toContain(`split ${tenant} into 4 shards ...`);
      const rows = tableRows(expectOk(await cli('workflows', '--workflow', 'shard-split')).stdout);
      expect(rows[0]).toEqual(['Execution', 'Workflow', 'Status', 'Started', 'Duration', 'Step']);
      expect(rows).toHaveLength(2);
      expect(rows[1]![0]).toMatch(new RegExp(`^split-${tenant}-4-`));
      expect(rows[1]!.slice(1, 3)).toEqual(['shard-split', 'SUCCEEDED']);
      expect(rows[1]![4]).toMatch(/^\d+(ms|\.\d+s)$/);
      expect(rows[1]![5]).toBe('Result (succeeded)');
      const json = JSON.parse(expectOk(await cli('workflows', '--json', '--limit', '50')).stdout) as Listed[];
      expect(json.find((e) => e.workflow === 'shard-split')?.step).toEqual({
        name: 'Result',
        status: 'succeeded',
      });
      expect(json.some((e) => e.workflow === 'startup-reconcile')).toBe(true);
      const running = JSON.parse(
        expectOk(await cli('workflows', '--json', '--status', 'running')).stdout,
      ) as Listed[];
      expect(running.every((e) => e.status === 'RUNNING')).toBe(true);
    },
    SLOW,
  );

  it(
    'workflow-describe shows each step with its duration, and the Map step its iterations',
    async () => {
      const [split] = JSON.parse(
        expectOk(await cli('workflows', '--json', '--workflow', 'shard-split')).stdout,
      ) as Listed[];
      // By name, as the table shows it, or by id.
      const byName = expectOk(await cli('workflow-describe', split!.name)).stdout;
      expect(byName).toBe(expectOk(await cli('workflow-describe', split!.id)).stdout);
      const lines = byName.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^Execution +${split!.name}$`));
      expect(lines[3]).toMatch(/^Status +SUCCEEDED$/);
      const steps = tableRows(byName.slice(byName.indexOf('\n\n') + 2));
      expect(steps[0]).toEqual([
        '#',
        'Step',
        'Type',
        'Status',
        'Start',
        'Duration',
        'Retries',
        'Iterations',
        'Error',
      ]);
      const names = steps.slice(1).map((r) => r[1]);
      expect(names[0]).toBe('AcquireLease');
      expect(names).toContain('CommitSplit');
      expect(names).not.toContain('SplitParent'); // a state inside the Map's iterations
      const map = steps.find((r) => r[1] === 'SplitParents')!;
      expect(map.slice(2, 4)).toEqual(['Map', 'succeeded']);
      expect(map[7]).toBe('2 ok, 0 failed of 2');
      const detail = JSON.parse(expectOk(await cli('workflow-describe', split!.id, '--json')).stdout);
      expect(detail.steps.map((s: { name: string }) => s.name)).toEqual(names);
      expect(detail.steps.every((s: { durationMs: number | null }) => typeof s.durationMs === 'number')).toBe(
        true,
      );
      const unknown = await cli('workflow-describe', 'no-such-execution');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('404 NotFound: Execution no-such-execution not found');
    },
    SLOW,
  );

  it(
    'tenant-shard-migrate waits until the shard is attached there',
    async () => {
      const before = JSON.parse(
        expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout,
      );
      const shard = before.shards[0];
      const to = [1, 2, 3].find((n) => n !== shard.node_attached)!;
      const run = expectOk(
        await cli('tenant-shard-migrate', '--tenant-shard-id', shard.tenant_shard_id, '--node', String(to)),
      );
      expect(run.stdout).toBe(`Migrated ${shard.tenant_shard_id} to node ${to}\n`);
      const after = JSON.parse(
        expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout,
      );
      expect(after.shards[0].node_attached).toBe(to);
    },
    SLOW,
  );

  it(
    'a refused migration exits 1 with the server message; workflow-describe shows the step that failed and why',
    async () => {
      const { shards } = JSON.parse(
        expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout,
      );
      const shard = shards[1];
      const to = [1, 2, 3].find((n) => n !== shard.node_attached)!;
      const destination = api.stack.fleet.pageservers.find((p) => p.nodeId === to)!;
      destination.faults.add({ method: 'PUT', path: 'location_config', status: 500, count: 1 });
      const run = await cli(
        'tenant-shard-migrate',
        '--tenant-shard-id',
        shard.tenant_shard_id,
        '--node',
        String(to),
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^storcon: PUT /control/v1/tenant/${shard.tenant_shard_id}/migrate failed: 409 Conflict: Migration of ${shard.tenant_shard_id} to node ${to} failed and was rolled back: .*500 injected fault`,
        ),
      );
      const [failed] = JSON.parse(
        expectOk(await cli('workflows', '--json', '--workflow', 'migrate', '--status', 'failed')).stdout,
      ) as Listed[];
      expect(failed!.step).toEqual({ name: 'Failed', status: 'failed' });
      const described = expectOk(await cli('workflow-describe', failed!.name)).stdout;
      expect(described).toMatch(/^Status +FAILED$/m);
      expect(described).toMatch(
        /^Error +PageserverRefused: location_config AttachedMulti on node \d: .*500 injected fault: 500$/m,
      );
      expect(described).not.toContain('"trace"');
      const steps = tableRows(described.slice(described.indexOf('\n\n') + 2));
      const attach = steps.find((r) => r[1] === 'AttachDestination')!;
      expect(attach[3]).toBe('caught');
      expect(attach[8]).toMatch(/^PageserverRefused: location_config AttachedMulti .*500 injected fault/);
      expect(steps.find((r) => r[1] === 'AbortMigration')?.[3]).toBe('succeeded');
      expect(steps.at(-1)!.slice(1, 4)).toEqual(['Failed', 'Fail', 'failed']);
      // Watching a finished execution that failed: its steps, then exit 1.
      const watch = await cli('workflow-watch', failed!.name);
      expect(watch.code).toBe(1);
      expect(watch.stdout).toMatch(/AttachDestination caught in \d+ms — PageserverRefused: /);
      expect(watch.stderr).toMatch(/storcon: execution .* FAILED: PageserverRefused: /);
    },
    SLOW,
  );
});

describe('workflow-watch', () => {
  it(
    'follows a running execution step by step until it ends, and exits 0 when it succeeds',
    async () => {
      const { shards } = JSON.parse(
        expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout,
      );
      const shard = shards[2];
      const to = [1, 2, 3].find((n) => n !== shard.node_attached)!;
      const destination = api.stack.fleet.pageservers.find((p) => p.nodeId === to)!;
      // Slow the destination so that the migration is still running while storcon watches it.
      destination.faults.add({ method: 'PUT', path: 'location_config', delayMs: 1500, count: 2 });
      const migration = api.call('PUT', `/control/v1/tenant/${shard.tenant_shard_id}/migrate`, {
        body: { node_id: to },
      });
      let running: Listed | undefined;
      for (let i = 0; i < 100 && !running; i++) {
        const list = (await api.call('GET', '/debug/v1/workflows?status=RUNNING')).body as Listed[];
        running = list.find((e) => e.workflow === 'migrate');
        if (!running) await new Promise((r) => setTimeout(r, 50));
      }
      expect(running).toBeDefined();
      const watch = expectOk(await cli('workflow-watch', running!.name, '--interval', '200ms'));
      expect((await migration).status).toBe(200);
      const lines = watch.stdout.trim().split('\n');
      expect(lines[0]).toBe(`Watching migrate execution ${running!.name}`);
      expect(lines.at(-1)).toMatch(/^SUCCEEDED after \d/);
      const steps = lines.slice(1, -1);
      expect(steps[0]).toMatch(/^ {2}1\. BeginMigration succeeded in /);
      expect(steps.some((l) => / AttachDestination succeeded in \d+(\.\d)?s/.test(l))).toBe(true);
      // Numbered in order, each step once.
      expect(steps.map((l) => Number(l.trim().split('.')[0]))).toEqual(steps.map((_, i) => i + 1));
      // The live line said where it was while it ran.
      expect(watch.stderr).toMatch(new RegExp(`${running!.name}: RUNNING · \\w+`));
    },
    SLOW,
  );
});
