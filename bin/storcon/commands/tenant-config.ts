// Tenant config: show it (from describe), replace it, or patch it (null removes a key).
import type { Command } from 'commander';
import { parseJsonObject } from '../args';
import type { ApiClient } from '../client';
import { action } from '../context';
import type { Io, Output } from '../output';
import { parse, tenantSchema } from '../schemas';
import { setKeys } from './tenants';

async function showConfig(client: ApiClient, out: Output, tenantId: string): Promise<void> {
  const path = `/control/v1/tenant/${tenantId}`;
  const { config } = parse(tenantSchema, await client.get(path), `GET ${path}`);
  const set = setKeys(config);
  out.table(
    ['Key', 'Value'],
    Object.entries(set).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    set,
  );
}

export function registerTenantConfigCommands(program: Command, io: Io): void {
  program
    .command('tenant-config')
    .description("Show a tenant's config: the keys that are set")
    .requiredOption('--tenant-id <id>', 'the tenant')
    .action(
      action<{ tenantId: string }>(io, async ({ client, out }, o) => showConfig(client, out, o.tenantId)),
    );

  program
    .command('set-tenant-config')
    .description("Replace a tenant's pageserver config (keys left out are unset)")
    .requiredOption('--tenant-id <id>', 'the tenant')
    .requiredOption('--config <json>', 'the config, e.g. {"gc_horizon": 1024}', parseJsonObject)
    .action(
      action<{ tenantId: string; config: Record<string, unknown> }>(io, async ({ client, out }, o) => {
        await client.request('PUT', '/v1/tenant/config', { ...o.config, tenant_id: o.tenantId });
        await showConfig(client, out, o.tenantId);
      }),
    );

  program
    .command('patch-tenant-config')
    .description("Patch a tenant's config: null values unset keys, others are set, the rest kept")
    .requiredOption('--tenant-id <id>', 'the tenant')
    .requiredOption('--config <json>', 'the changes, e.g. {"gc_horizon": null}', parseJsonObject)
    .action(
      action<{ tenantId: string; config: Record<string, unknown> }>(io, async ({ client, out }, o) => {
        await client.request('PATCH', '/v1/tenant/config', { ...o.config, tenant_id: o.tenantId });
        await showConfig(client, out, o.tenantId);
      }),
    );
}
