// Shard commands: split a tenant, migrate a shard's attachment or its secondary, cancel a reconcile.
// A split or migration that outlives its request (202) is followed through its workflow execution.
import type { Command } from 'commander';
import { parseBool, parseDuration, parseWholeNumber } from '../args';
import type { ApiClient } from '../client';
import { action } from '../context';
import { followExecution } from '../executions';
import { formatError } from '../format';
import { type Io, LiveLine } from '../output';
import { parse, stillRunningSchema, tenantSchema } from '../schemas';
import { poll } from '../wait';

/** The reply's body, or the output of the workflow a 202 named once it has succeeded. */
async function settle(
  client: ApiClient,
  io: Io,
  reply: { status: number; body: unknown },
  label: string,
): Promise<unknown> {
  if (reply.status !== 202) return reply.body;
  const { execution_id } = parse(stillRunningSchema, reply.body, label);
  const done = await followExecution(client, io, execution_id, label);
  if (done.status !== 'SUCCEEDED')
    throw new Error(`${label} ${done.status.toLowerCase()}: ${formatError(done.error) || 'no error given'}`);
  return done.output;
}

/** The tenant id part of a tenant shard id (`<32 hex>-NNCC`). */
const tenantOf = (tenantShardId: string) => tenantShardId.slice(0, 32);

export function registerShardCommands(program: Command, io: Io): void {
  program
    .command('tenant-shard-split')
    .description('Split a tenant into more shards, optionally with a new stripe size')
    .requiredOption('--tenant-id <id>', 'the tenant')
    .requiredOption('--shard-count <n>', 'the new shard count', parseWholeNumber)
    .option('--stripe-size <pages>', 'in 8 KiB pages, e.g. 2048 for 16 MiB stripes', parseWholeNumber)
    .action(
      action<{ tenantId: string; shardCount: number; stripeSize?: number }>(
        io,
        async ({ client, out }, o) => {
          const line = new LiveLine(io);
          line.update(`split ${o.tenantId} into ${o.shardCount} shards ...`);
          const reply = await client.request('PUT', `/control/v1/tenant/${o.tenantId}/shard_split`, {
            new_shard_count: o.shardCount,
            ...(o.stripeSize ? { new_stripe_size: o.stripeSize } : {}),
          });
          if (reply.status !== 202) line.done(`split ${o.tenantId}: done`);
          const result = (await settle(client, io, reply, `split ${o.tenantId}`)) as { new_shards: string[] };
          out.say(
            `Split tenant ${o.tenantId} into ${o.shardCount} shards: ${result.new_shards.join(',')}`,
            result,
          );
        },
      ),
    );

  program
    .command('tenant-shard-migrate')
    .description("Move a shard's attachment to a node, then watch until it is attached there")
    .requiredOption('--tenant-shard-id <id>', 'the shard')
    .requiredOption('--node <id>', 'the destination node', parseWholeNumber)
    .option('--prewarm <bool>', 'warm a secondary there first, then cut over', parseBool)
    .option('--override-scheduler <bool>', 'allow a worse-scoring node', parseBool)
    .option('--timeout <duration>', 'how long to watch (e.g. 5m)', parseDuration, 5 * 60_000)
    .action(
      action<{
        tenantShardId: string;
        node: number;
        prewarm?: boolean;
        overrideScheduler?: boolean;
        timeout: number;
      }>(io, async ({ client, out }, o) => {
        // migration_config only when asked for: a controller without it refuses the field.
        const config = {
          ...(o.prewarm === undefined ? {} : { prewarm: o.prewarm }),
          ...(o.overrideScheduler === undefined ? {} : { override_scheduler: o.overrideScheduler }),
        };
        const reply = await client.request('PUT', `/control/v1/tenant/${o.tenantShardId}/migrate`, {
          node_id: o.node,
          ...(Object.keys(config).length > 0 ? { migration_config: config } : {}),
        });
        await settle(client, io, reply, `migrate ${o.tenantShardId}`);
        const line = new LiveLine(io);
        const path = `/control/v1/tenant/${tenantOf(o.tenantShardId)}`;
        const shard = await poll(
          async () => {
            const tenant = parse(tenantSchema, await client.get(path), `GET ${path}`);
            const s = tenant.shards.find((x) => x.tenant_shard_id === o.tenantShardId);
            if (!s) throw new Error(`shard ${o.tenantShardId} is not in tenant ${tenant.tenant_id}`);
            line.update(
              `migrate ${o.tenantShardId}: attached ${s.node_attached ?? '-'}, secondary [${s.node_secondary.join(',')}]${s.is_reconciling ? ', reconciling' : ''}`,
            );
            return s.node_attached === o.node && !s.is_reconciling ? s : undefined;
          },
          {
            intervalMs: 500,
            timeoutMs: o.timeout,
            what: `${o.tenantShardId} to be attached on node ${o.node}`,
          },
        );
        line.done(`migrate ${o.tenantShardId}: attached on node ${o.node}`);
        out.say(`Migrated ${o.tenantShardId} to node ${o.node}`, shard);
      }),
    );

  program
    .command('tenant-shard-migrate-secondary')
    .description("Move a shard's secondary location to a node")
    .requiredOption('--tenant-shard-id <id>', 'the shard')
    .requiredOption('--node <id>', 'the node for the secondary', parseWholeNumber)
    .action(
      action<{ tenantShardId: string; node: number }>(io, async ({ client, out }, o) => {
        await client.request('PUT', `/control/v1/tenant/${o.tenantShardId}/migrate_secondary`, {
          tenant_shard_id: o.tenantShardId,
          node_id: o.node,
        });
        out.say(`Secondary of ${o.tenantShardId} moving to node ${o.node}`, {
          tenant_shard_id: o.tenantShardId,
          node_id: o.node,
        });
      }),
    );

  program
    .command('tenant-shard-cancel-reconcile')
    .description('Cancel the reconcile running for a shard, if any')
    .requiredOption('--tenant-shard-id <id>', 'the shard')
    .action(
      action<{ tenantShardId: string }>(io, async ({ client, out }, o) => {
        await client.request('PUT', `/control/v1/tenant/${o.tenantShardId}/cancel_reconcile`);
        out.say(`Reconcile of ${o.tenantShardId} cancelled`, {
          tenant_shard_id: o.tenantShardId,
          cancelled: true,
        });
      }),
    );
}
