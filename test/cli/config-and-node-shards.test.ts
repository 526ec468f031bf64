// storcon set-tenant-config and patch-tenant-config, and `tenants <node_id>` (the shards on a node),
// against a local stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTenantId, type TestApi } from '../support/api-stack';
import { describeWithCli, stackWithTenant } from './fleet-support';
import { expectOk, storcon, tableRows } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args);
const SLOW = 120_000;
const tenant = randomTenantId();

const describeTenant = () => describeWithCli(api.stack.url, tenant);

beforeAll(async () => {
  api = await stackWithTenant(tenant);
});
afterAll(() => api.stop());

describe('tenant config and node shards', () => {
  it(
    'tenants <node_id> lists the shards on that node, primary or secondary',
    async () => {
      const { shards } = await describeTenant();
      const node = shards[0]!.node_attached;
      const rows = tableRows(expectOk(await cli('tenants', String(node))).stdout);
      expect(rows[0]).toEqual(['Shard', 'Intended Primary/Secondary', 'Observed Primary/Secondary']);
      const expected = shards
        .filter((s) => s.node_attached === node || s.node_secondary.includes(node))
        .map((s) => [s.tenant_shard_id, s.node_attached === node ? 'Primary' : 'Secondary']);
      expect(
        rows
          .slice(1)
          .map((r) => [r[0], r[1]])
          .sort(),
      ).toEqual(expected.sort());
    },
    SLOW,
  );

  it(
    'set-tenant-config replaces, patch-tenant-config merges (null unsets); both print the keys set',
    async () => {
      const set = expectOk(
        await cli(
          'set-tenant-config',
          '--tenant-id',
          tenant,
          '--config',
          '{"gc_horizon": 1024, "pitr_interval": "1h"}',
        ),
      );
      expect(tableRows(set.stdout)).toEqual([
        ['Key', 'Value'],
        ['gc_horizon', '1024'],
        ['pitr_interval', '1h'],
      ]);
      const patched = expectOk(
        await cli(
          'patch-tenant-config',
          '--tenant-id',
          tenant,
          '--config',
          '{"gc_horizon": null, "checkpoint_distance": 4096}',
          '--json',
        ),
      );
      expect(JSON.parse(patched.stdout)).toEqual({ pitr_interval: '1h', checkpoint_distance: 4096 });
      expect((await describeTenant()).config).toMatchObject({
        gc_horizon: null,
        pitr_interval: '1h',
        checkpoint_distance: 4096,
      });
      const bad = await cli('set-tenant-config', '--tenant-id', tenant, '--config', '{"no_such_key": 1}');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^storcon: PUT \/v1\/tenant\/config failed: 400 .*no_such_key/);
      expect((await cli('patch-tenant-config', '--tenant-id', tenant, '--config', 'not json')).code).toBe(2);
    },
    SLOW,
  );
});
