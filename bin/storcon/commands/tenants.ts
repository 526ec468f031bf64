// Tenant commands: list (all, or the shards on one node), describe, create, delete, policy, drop.
import type { Command } from 'commander';
import { parsePlacement, parseShardScheduling, parseWholeNumber } from '../args';
import { action, UsageError } from '../context';
import { formatPlacement } from '../format';
import type { Io } from '../output';
import { nodeShardsSchema, parse, type Tenant, tenantSchema } from '../schemas';
import { listNodes } from '../wait';

const PAGE = 1000;

const tenantIdOption = ['--tenant-id <id>', 'the tenant'] as const;

export async function listTenants(client: { get(path: string): Promise<unknown> }): Promise<Tenant[]> {
  const all: Tenant[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const path = `/control/v1/tenant?limit=${PAGE}${startAfter ? `&start_after=${startAfter}` : ''}`;
    const page = parse(tenantSchema.array(), await client.get(path), `GET ${path}`);
    all.push(...page);
    if (page.length < PAGE) return all;
    startAfter = page.at(-1)!.tenant_id;
  }
}

/** The shard's state flags as the reference prints them. */
function statusOf(shard: Tenant['shards'][number]): string {
  const parts: string[] = [];
  if (shard.is_reconciling) parts.push('reconciling');
  if (shard.is_pending_compute_notification) parts.push('pending_compute');
  if (shard.is_splitting) parts.push('splitting');
  return parts.join(',');
}

/** Only the keys that are set: a tenant config lists every key, most of them null. */
export function setKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null && v !== undefined));
}

export function registerTenantCommands(program: Command, io: Io): void {
  program
    .command('tenants')
    .description('List tenants (all, a page at a time), or with a node id the shards on that node')
    .argument('[node_id]', 'list the shards on this node instead', parseWholeNumber)
    .action(
      action(io, async ({ client, out }, _o, args) => {
        if (args[0] !== undefined) {
          const nodeId = parseWholeNumber(args[0]);
          const path = `/control/v1/node/${nodeId}/shards`;
          const { shards } = parse(nodeShardsSchema, await client.get(path), `GET ${path}`);
          const role = (secondary: boolean | null) =>
            secondary === null ? '' : secondary ? 'Secondary' : 'Primary';
          out.table(
            ['Shard', 'Intended Primary/Secondary', 'Observed Primary/Secondary'],
            shards.map((s) => [
              s.tenant_shard_id,
              role(s.is_intended_secondary),
              role(s.is_observed_secondary),
            ]),
            shards,
          );
          return;
        }
        const tenants = await listTenants(client);
        out.table(
          ['TenantId', 'Preferred AZ', 'ShardCount', 'StripeSize', 'Placement', 'Scheduling'],
          tenants.map((t) => [
            t.tenant_id,
            t.shards[0]?.preferred_az_id,
            t.shards.length,
            t.stripe_size,
            formatPlacement(t.policy),
            t.shards[0]?.scheduling_policy,
          ]),
          tenants,
        );
      }),
    );

  program
    .command('tenant-describe')
    .description("Show a tenant's policy, stripe size and each shard's placement, errors and status")
    .requiredOption(...tenantIdOption)
    .action(
      action<{ tenantId: string }>(io, async ({ client, out }, o) => {
        const path = `/control/v1/tenant/${o.tenantId}`;
        const tenant = parse(tenantSchema, await client.get(path), `GET ${path}`);
        if (out.json) return out.printJson(tenant);
        const nodes = new Map((await listNodes(client)).map((n) => [n.id, n]));
        out.text(`Tenant ${tenant.tenant_id}`);
        out.record(
          [
            ['Policy', formatPlacement(tenant.policy)],
            ['Stripe size', tenant.stripe_size],
            ['Config', JSON.stringify(setKeys(tenant.config))],
          ],
          tenant,
        );
        out.text('Shards:');
        out.table(
          ['Shard', 'Attached', 'Attached AZ', 'Secondary', 'Scheduling', 'Last error', 'Status'],
          tenant.shards.map((s) => {
            const node = s.node_attached === null ? undefined : nodes.get(s.node_attached);
            return [
              s.tenant_shard_id,
              s.node_attached === null
                ? ''
                : `${node ? `${node.listen_http_addr}:${node.listen_http_port}` : '?'} (${s.node_attached})`,
              node?.availability_zone_id,
              s.node_secondary.join(','),
              s.scheduling_policy,
              s.last_error,
              statusOf(s),
            ];
          }),
          tenant,
        );
      }),
    );

  program
    .command('tenant-create')
    .description('Create a tenant through the controller (and so on pageservers)')
    .requiredOption(...tenantIdOption)
    .option('--shard-count <n>', 'shards (0 = unsharded)', parseWholeNumber, 0)
    .option('--stripe-size <pages>', 'stripe size in 8 KiB pages (2048 = 16 MiB)', parseWholeNumber, 32768)
    .option('--placement <policy>', 'detached, secondary or attached:N', parsePlacement, { Attached: 1 })
    .action(
      action<{ tenantId: string; shardCount: number; stripeSize: number; placement: unknown }>(
        io,
        async ({ client, out }, o) => {
          const body = {
            new_tenant_id: o.tenantId,
            shard_parameters: { count: o.shardCount, stripe_size: o.stripeSize },
            placement_policy: o.placement,
          };
          const reply = await client.request('POST', '/v1/tenant', body);
          const created = reply.body as {
            shards?: Array<{ shard_id: string; node_id: number | null; generation: number }>;
          };
          out.text(`Created tenant ${o.tenantId}`);
          out.table(
            ['Shard', 'Node', 'Generation'],
            (created.shards ?? []).map((s) => [s.shard_id, s.node_id, s.generation]),
            created,
          );
        },
      ),
    );

  program
    .command('tenant-delete')
    .description('Delete a tenant from its pageservers and the controller')
    .requiredOption(...tenantIdOption)
    .action(
      action<{ tenantId: string }>(io, async ({ client, out }, o) => {
        const reply = await client.request('DELETE', `/v1/tenant/${o.tenantId}`);
        out.say(`Delete status: ${reply.status}`, { tenant_id: o.tenantId, status: reply.status });
      }),
    );

  program
    .command('tenant-policy')
    .description(
      "Set a tenant's placement (detached, secondary, attached:N) and/or scheduling (active, essential, pause, stop)",
    )
    .requiredOption(...tenantIdOption)
    .option('--placement <policy>', 'detached, secondary or attached:N', parsePlacement)
    .option('--scheduling <policy>', 'active, essential, pause or stop', parseShardScheduling)
    .action(
      action<{ tenantId: string; placement?: unknown; scheduling?: string }>(
        io,
        async ({ client, out }, o) => {
          if (o.placement === undefined && o.scheduling === undefined)
            throw new UsageError('tenant-policy needs --placement and/or --scheduling');
          await client.request('PUT', `/control/v1/tenant/${o.tenantId}/policy`, {
            ...(o.placement === undefined ? {} : { placement: o.placement }),
            ...(o.scheduling === undefined ? {} : { scheduling: o.scheduling }),
          });
          const path = `/control/v1/tenant/${o.tenantId}`;
          const tenant = parse(tenantSchema, await client.get(path), `GET ${path}`);
          out.say(
            `Tenant ${o.tenantId}: placement ${formatPlacement(tenant.policy)}, scheduling ${[...new Set(tenant.shards.map((s) => s.scheduling_policy))].join(',')}`,
            tenant,
          );
        },
      ),
    );

  program
    .command('tenant-drop')
    .description('Forget a tenant without touching pageservers (unclean: needs --unclean)')
    .requiredOption(...tenantIdOption)
    .option('--unclean', 'confirm: this is not a tenant deletion')
    .action(
      action<{ tenantId: string; unclean?: boolean }>(io, async ({ client, out }, o) => {
        if (!o.unclean)
          throw new UsageError(
            'This command is not a tenant deletion, and uncleanly drops all controller state for the tenant.  If you know what you are doing, add `--unclean` to proceed.',
          );
        await client.request('POST', `/debug/v1/tenant/${o.tenantId}/drop`);
        out.say(`Tenant ${o.tenantId} dropped`, { tenant_id: o.tenantId, dropped: true });
      }),
    );
}
