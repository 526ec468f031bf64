// storcon reconcile-all, tenant-shard-migrate-secondary,
// tenant-shard-cancel-reconcile and tenant-shard-migrate with the modern migration_config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTenantId, type TestApi } from '../support/api-stack';
import { type DescribedShard, describeWithCli, stackWithTenant } from './fleet-support';
import { expectOk, storcon } from './storcon';

let api: TestApi;
const cli = (...args: string[]) => storcon(api.stack.url, args);
const SLOW = 120_000;
const tenant = randomTenantId();

const describeTenant = () => describeWithCli(api.stack.url, tenant);

beforeAll(async () => {
  api = await stackWithTenant(tenant);
});
afterAll(() => api.stop());

describe('parity commands', () => {
  it(
    'reconcile-all prints the reconciles it started: 0 on an idle fleet',
    async () => {
      expectOk(await cli('reconcile-all'));
      expect(expectOk(await cli('reconcile-all')).stdout).toBe('Reconciles started: 0\n');
      expect(JSON.parse(expectOk(await cli('reconcile-all', '--json')).stdout)).toBe(0);
    },
    SLOW,
  );

  it(
    'tenant-shard-migrate-secondary moves the secondary; cancel-reconcile answers for the shard',
    async () => {
      const { shards } = await describeTenant();
      const shard = shards[0]!;
      const to = [1, 2, 3].find((n) => n !== shard.node_attached && !shard.node_secondary.includes(n))!;
      const run = expectOk(
        await cli(
          'tenant-shard-migrate-secondary',
          '--tenant-shard-id',
          shard.tenant_shard_id,
          '--node',
          String(to),
        ),
      );
      expect(run.stdout).toBe(`Secondary of ${shard.tenant_shard_id} moving to node ${to}\n`);
      let moved: DescribedShard | undefined;
      for (let i = 0; i < 100 && !moved; i++) {
        moved = (await describeTenant()).shards.find(
          (s) => s.tenant_shard_id === shard.tenant_shard_id && s.node_secondary.includes(to),
        );
        if (!moved) await new Promise((r) => setTimeout(r, 200));
      }
      expect(moved?.node_secondary).toEqual([to]);
      const cancel = expectOk(
        await cli('tenant-shard-cancel-reconcile', '--tenant-shard-id', shard.tenant_shard_id),
      );
      expect(cancel.stdout).toBe(`Reconcile of ${shard.tenant_shard_id} cancelled\n`);
    },
    SLOW,
  );

  it(
    'tenant-shard-migrate --prewarm false cuts over at once and watches until attached there',
    async () => {
      const { shards } = await describeTenant();
      const shard = shards[1]!;
      const to = shard.node_secondary[0]!;
      const run = expectOk(
        await cli(
          'tenant-shard-migrate',
          '--tenant-shard-id',
          shard.tenant_shard_id,
          '--node',
          String(to),
          '--prewarm',
          'false',
          '--override-scheduler',
          'true',
        ),
      );
      expect(run.stdout).toBe(`Migrated ${shard.tenant_shard_id} to node ${to}\n`);
      expect((await describeTenant()).shards[1]!.node_attached).toBe(to);
      expectOk(await cli('consistency-check'));
    },
    SLOW,
  );
});
