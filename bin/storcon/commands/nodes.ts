// Node commands: list, configure, delete (immediate or graceful), drop.
import type { Command } from 'commander';
import { parseAvailability, parseDuration, parseNodeScheduling, parseWholeNumber } from '../args';
import { action, UsageError } from '../context';
import type { Io } from '../output';
import { listNodes, poll, shardCounts } from '../wait';

export function registerNodeCommands(program: Command, io: Io): void {
  program
    .command('nodes')
    .description('List pageservers: address, AZ, scheduling policy, availability and shard counts')
    .action(
      action(io, async ({ client, out }) => {
        const nodes = await listNodes(client);
        const counts = await shardCounts(client);
        const rows = nodes.map((n) => {
          const c = counts.get(n.id);
          return [
            n.id,
            `${n.listen_http_addr}:${n.listen_http_port}`,
            n.availability_zone_id,
            n.scheduling,
            n.availability,
            c?.attached ?? 0,
            c?.secondary ?? 0,
          ];
        });
        const json = nodes.map((n) => ({
          ...n,
          attached_count: counts.get(n.id)?.attached ?? 0,
          secondary_count: counts.get(n.id)?.secondary ?? 0,
        }));
        out.table(['Id', 'Address', 'AZ', 'Scheduling', 'Availability', 'Attached', 'Secondary'], rows, json);
      }),
    );

  program
    .command('node-configure')
    .description("Set a node's availability (active, offline) and/or scheduling policy")
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--availability <state>', 'active or offline', parseAvailability)
    .option(
      '--scheduling <policy>',
      'active, filling, pause, pause_for_restart, draining',
      parseNodeScheduling,
    )
    .action(
      action<{ nodeId: number; availability?: string; scheduling?: string }>(
        io,
        async ({ client, out }, o) => {
          if (!o.availability && !o.scheduling)
            throw new UsageError('node-configure needs --availability and/or --scheduling');
          await client.request('PUT', `/control/v1/node/${o.nodeId}/config`, {
            node_id: o.nodeId,
            availability: o.availability ?? null,
            scheduling: o.scheduling ?? null,
          });
          const node = (await listNodes(client)).find((n) => n.id === o.nodeId);
          out.say(
            `Node ${o.nodeId}: availability ${node?.availability ?? '?'}, scheduling ${node?.scheduling ?? '?'}`,
            node ?? null,
          );
        },
      ),
    );

  program
    .command('node-delete')
    .description(
      'Delete a node at once, rescheduling every shard that refers to it (DELETE /control/v1/node/:id)',
    )
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .action(
      action<{ nodeId: number }>(io, async ({ client, out }, o) => {
        await client.request('DELETE', `/control/v1/node/${o.nodeId}`);
        out.say(`Node ${o.nodeId} deleted`, { node_id: o.nodeId, deleted: true });
      }),
    );

  program
    .command('node-start-delete')
    .description('Start the graceful, cancellable deletion of a node (its shards move away first)')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--force', 'do not wait for secondaries to warm up')
    .action(
      action<{ nodeId: number; force?: boolean }>(io, async ({ client, out }, o) => {
        await client.request('PUT', `/control/v1/node/${o.nodeId}/delete${o.force ? '?force=true' : ''}`);
        out.say(`Delete started for ${o.nodeId}`, { node_id: o.nodeId, started: 'delete' });
      }),
    );

  program
    .command('node-cancel-delete')
    .description('Cancel a node deletion and wait for its scheduling policy to leave Deleting')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--timeout <duration>', 'how long to wait (e.g. 30s, 5m)', parseDuration, 60_000)
    .action(
      action<{ nodeId: number; timeout: number }>(io, async ({ client, out }, o) => {
        await client.request('DELETE', `/control/v1/node/${o.nodeId}/delete`);
        const node = await poll(
          async () => {
            const n = (await listNodes(client)).find((x) => x.id === o.nodeId);
            if (!n)
              throw new Error(
                `node ${o.nodeId} is no longer registered: its deletion ended before the cancel took effect`,
              );
            return n.scheduling === 'Deleting' ? undefined : n;
          },
          { intervalMs: 500, timeoutMs: o.timeout, what: `node ${o.nodeId} to leave Deleting` },
        );
        out.say(
          `Delete was cancelled for node ${o.nodeId}. Scheduling policy is now ${node.scheduling}`,
          node,
        );
      }),
    );

  program
    .command('node-drop')
    .description('Forget a node without moving its shards (unclean: needs --unclean)')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--unclean', 'confirm: this is not a clean decommission')
    .action(
      action<{ nodeId: number; unclean?: boolean }>(io, async ({ client, out }, o) => {
        if (!o.unclean)
          throw new UsageError(
            'This command is not a clean node decommission, and uncleanly drops all controller state for the node, without checking if any tenants still refer to it.  If you know what you are doing, add `--unclean` to proceed.',
          );
        await client.request('POST', `/debug/v1/node/${o.nodeId}/drop`);
        out.say(`Node ${o.nodeId} dropped`, { node_id: o.nodeId, dropped: true });
      }),
    );
}
