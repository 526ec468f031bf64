// storcon's node and tenant commands against a local stack with three simulated pageservers:
// the tables' shapes, --json for scripts, and the server's refusals as exit 1 with its message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { plantSecondary } from '../support/plant-location';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args);
const SLOW = 120_000;

beforeAll(async () => {
  api = await startTestApi({ pageservers: 3 });
});
afterAll(() => api.stop());

describe('nodes', () => {
  it(
    'prints one row per node with its address, policies and shard counts; --json the same as data',
    async () => {
      const tenant = randomTenantId();
      expectOk(
        await cli('tenant-create', '--tenant-id', tenant, '--shard-count', '2', '--placement', 'attached:0'),
      );
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows[0]).toEqual(['Id', 'Address', 'AZ', 'Scheduling', 'Availability', 'Attached', 'Secondary']);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2', '3']);
      for (const [i, ps] of api.stack.fleet.pageservers.entries()) {
        expect(rows[i + 1]![1]).toBe(new URL(ps.baseUrl).host);
        expect(rows[i + 1]![4]).toBe('Active');
      }
      const json = JSON.parse(expectOk(await cli('nodes', '--json')).stdout) as Array<{
        attached_count: number;
      }>;
      expect(json).toHaveLength(3);
      expect(json.reduce((sum, n) => sum + n.attached_count, 0)).toBe(2);
      expect(rows.slice(1).reduce((sum, r) => sum + Number(r[5]), 0)).toBe(2);
      expectOk(await cli('tenant-delete', '--tenant-id', tenant));
    },
    SLOW,
  );

  it(
    'node-configure sets scheduling and availability; an unknown node is the server 404',
    async () => {
      const paused = expectOk(await cli('node-configure', '--node-id', '3', '--scheduling', 'pause'));
      expect(paused.stdout).toBe('Node 3: availability Active, scheduling Pause\n');
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows[3]![3]).toBe('Pause');
      const json = JSON.parse(
        expectOk(await cli('node-configure', '--node-id', '3', '--scheduling', 'Active', '--json')).stdout,
      );
      expect(json).toMatchObject({ id: 3, scheduling: 'Active', availability: 'Active' });
      const unknown = await cli('node-configure', '--node-id', '99', '--availability', 'offline');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(
        'storcon: PUT /control/v1/node/99/config failed: 404 NotFound: Node not registered\n',
      );
      const nothing = await cli('node-configure', '--node-id', '3');
      expect(nothing.code).toBe(2);
    },
    SLOW,
  );
});

describe('tenants', () => {
  it(
    'tenant-create, tenants, tenant-describe and tenant-policy print the reference tables',
    async () => {
      const tenant = randomTenantId();
      const created = tableRows(
        expectOk(await cli('tenant-create', '--tenant-id', tenant, '--shard-count', '2')).stdout,
      );
      expect(created[0]).toEqual([`Created tenant ${tenant}`]);
      expect(created[1]).toEqual(['Shard', 'Node', 'Generation']);
      expect(created.slice(2).map((r) => r[0])).toEqual([`${tenant}-0002`, `${tenant}-0102`]);

      const list = tableRows(expectOk(await cli('tenants')).stdout);
      expect(list[0]).toEqual([
        'TenantId',
        'Preferred AZ',
        'ShardCount',
        'StripeSize',
        'Placement',
        'Scheduling',
      ]);
      expect(list.find((r) => r[0] === tenant)).toEqual([tenant, '-', '2', '32768', 'Attached(1)', 'Active']);

      const described = expectOk(await cli('tenant-describe', '--tenant-id', tenant)).stdout;
      const lines = described.split('\n');
      expect(lines[0]).toBe(`Tenant ${tenant}`);
      expect(lines[1]).toMatch(/^Policy +Attached\(1\)$/);
      expect(lines[2]).toMatch(/^Stripe size +32768$/);
      const shards = tableRows(described.slice(described.indexOf('Shards:\n') + 'Shards:\n'.length));
      expect(shards[0]).toEqual([
        'Shard',
        'Attached',
        'Attached AZ',
        'Secondary',
        'Scheduling',
        'Last error',
        'Status',
      ]);
      const json = JSON.parse(expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout);
      for (const [i, shard] of json.shards.entries()) {
        const row = shards[i + 1]!;
        expect(row[0]).toBe(shard.tenant_shard_id);
        const node = api.stack.fleet.pageservers.find((p) => p.nodeId === shard.node_attached)!;
        expect(row[1]).toBe(`${new URL(node.baseUrl).host} (${shard.node_attached})`);
        expect(row[3]).toBe(shard.node_secondary.join(','));
        expect(shard.node_secondary).toHaveLength(1);
      }

      const policy = expectOk(
        await cli(
          'tenant-policy',
          '--tenant-id',
          tenant,
          '--placement',
          'attached:0',
          '--scheduling',
          'essential',
        ),
      );
      expect(policy.stdout).toBe(`Tenant ${tenant}: placement Attached(0), scheduling Essential\n`);
      const after = JSON.parse(
        expectOk(await cli('tenant-describe', '--tenant-id', tenant, '--json')).stdout,
      );
      expect(after.policy).toEqual({ Attached: 0 });
      expect(after.shards.every((s: { node_secondary: number[] }) => s.node_secondary.length === 0)).toBe(
        true,
      );

      expectOk(await cli('consistency-check'));
      const deleted = expectOk(await cli('tenant-delete', '--tenant-id', tenant));
      expect(deleted.stdout).toBe('Delete status: 200\n');
      expect(tableRows(expectOk(await cli('tenants')).stdout).some((r) => r[0] === tenant)).toBe(false);
    },
    SLOW,
  );

  it(
    'tenants pages through more than one page of the listing',
    async () => {
      // The server pages by 1000 at most; 3 tenants fit one page, so check the loop stops by itself
      // and lists them all in order.
      const ids = [randomTenantId(), randomTenantId(), randomTenantId()].sort();
      for (const id of ids)
        expect(
          (
            await api.call('POST', '/v1/tenant', {
              body: { new_tenant_id: id, shard_parameters: { count: 0, stripe_size: 32768 } },
            })
          ).status,
        ).toBe(201);
      const listed = (
        JSON.parse(expectOk(await cli('tenants', '--json')).stdout) as Array<{ tenant_id: string }>
      ).map((t) => t.tenant_id);
      expect(listed.filter((id) => ids.includes(id))).toEqual(ids);
      for (const id of ids) expectOk(await cli('tenant-delete', '--tenant-id', id));
    },
    SLOW,
  );

  it(
    'tenant-config shows the keys that are set; --json as an object',
    async () => {
      const tenant = randomTenantId();
      const created = await api.call('POST', '/v1/tenant', {
        body: {
          new_tenant_id: tenant,
          shard_parameters: { count: 0, stripe_size: 32768 },
          gc_horizon: 4096,
          pitr_interval: '1h',
        },
      });
      expect(created.status).toBe(201);
      const rows = tableRows(expectOk(await cli('tenant-config', '--tenant-id', tenant)).stdout);
      expect(rows).toEqual([
        ['Key', 'Value'],
        ['gc_horizon', '4096'],
        ['pitr_interval', '1h'],
      ]);
      expect(
        JSON.parse(expectOk(await cli('tenant-config', '--tenant-id', tenant, '--json')).stdout),
      ).toEqual({
        gc_horizon: 4096,
        pitr_interval: '1h',
      });
      expectOk(await cli('tenant-delete', '--tenant-id', tenant));
    },
    SLOW,
  );

  it(
    'an unknown tenant exits 1 with the server 404 message',
    async () => {
      const tenant = randomTenantId();
      const run = await cli('tenant-describe', '--tenant-id', tenant);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `storcon: GET /control/v1/tenant/${tenant} failed: 404 NotFound: Tenant ${tenant} not found\n`,
      );
      expect(run.stdout).toBe('');
      const bad = await cli('tenant-describe', '--tenant-id', 'not-an-id');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/failed: 400 .*tenant_id/);
    },
    SLOW,
  );

  it(
    'tenant-drop forgets a tenant with --unclean (its locations detached)',
    async () => {
      const tenant = randomTenantId();
      expectOk(await cli('tenant-create', '--tenant-id', tenant, '--placement', 'attached:0'));
      expect((await cli('tenant-drop', '--tenant-id', tenant)).code).toBe(2);
      const dropped = expectOk(await cli('tenant-drop', '--tenant-id', tenant, '--unclean'));
      expect(dropped.stdout).toBe(`Tenant ${tenant} dropped\n`);
      expect((await cli('tenant-describe', '--tenant-id', tenant)).code).toBe(1);
      expect(expectOk(await cli('consistency-check')).stdout).toBe('Consistency check passed\n');
      expect(JSON.parse(expectOk(await cli('consistency-check', '--json')).stdout)).toEqual({
        consistent: true,
      });
    },
    SLOW,
  );

  it(
    'node-drop forgets a node with --unclean',
    async () => {
      expect((await cli('node-drop', '--node-id', '3')).code).toBe(2);
      expect(expectOk(await cli('node-drop', '--node-id', '3', '--unclean')).stdout).toBe('Node 3 dropped\n');
      const rows = tableRows(expectOk(await cli('nodes')).stdout);
      expect(rows.slice(1).map((r) => r[0])).toEqual(['1', '2']);
    },
    SLOW,
  );

  it(
    'consistency-check exits 1 with the problems the server names',
    async () => {
      // A location the controller does not know of, put on node 1 behind its back: an orphan.
      const stray = randomTenantId();
      await plantSecondary(api.stack.fleet.pageservers[0]!.baseUrl, stray);
      const check = await cli('consistency-check');
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(
        /^storcon: POST \/debug\/v1\/consistency_check failed: 500 Consistency check failed: /,
      );
      expect(check.stderr).toContain(`node 1 holds ${stray}, which no tenant has (orphan location)`);
      expect(check.stdout).toBe('');
    },
    SLOW,
  );
});
