// Drain and fill, as the reference CLI has them; by default each waits for its end with a progress
// bar (`--no-wait` returns once the operation has started, as the reference does).
import type { Command } from 'commander';
import { parseDuration, parseWholeNumber } from '../args';
import { action } from '../context';
import { followDrain, followFill, startDrain, startFill } from '../node-ops';
import type { Io } from '../output';
import { getNode, poll } from '../wait';

interface StartOptions {
  nodeId: number;
  wait: boolean;
  timeout: number;
}

interface CancelOptions {
  nodeId: number;
  timeout: number;
}

export function registerDrainFillCommands(program: Command, io: Io): void {
  program
    .command('start-drain')
    .description("Drain a node's attached shards to others; done when it is PauseForRestart")
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--no-wait', 'return once the drain has started')
    .option('--timeout <duration>', 'how long to wait for the end (e.g. 10m)', parseDuration, 30 * 60_000)
    .action(
      action<StartOptions>(io, async ({ client, out }, o) => {
        const before = await startDrain(client, o.nodeId);
        if (!o.wait) return out.say(`Drain started for ${o.nodeId}`, { node_id: o.nodeId, started: 'drain' });
        const result = await followDrain(client, io, o.nodeId, before, { timeoutMs: o.timeout });
        out.say(
          `Drain of node ${o.nodeId} done: ${result.before - result.after} shards moved, ${result.after} left attached`,
          result,
        );
      }),
    );

  program
    .command('cancel-drain')
    .description('Cancel a drain and wait for the node to be Active (or PauseForRestart) again')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--timeout <duration>', 'how long to wait (e.g. 30s)', parseDuration, 60_000)
    .action(
      action<CancelOptions>(io, async ({ client, out }, o) => {
        await client.request('DELETE', `/control/v1/node/${o.nodeId}/drain`);
        out.note(`Waiting for node ${o.nodeId} to quiesce on scheduling policy ...`);
        const node = await poll(
          async () => {
            const n = await getNode(client, o.nodeId);
            return n.scheduling === 'Active' || n.scheduling === 'PauseForRestart' ? n : undefined;
          },
          { intervalMs: 500, timeoutMs: o.timeout, what: `node ${o.nodeId} to stop draining` },
        );
        out.say(
          `Drain was cancelled for node ${o.nodeId}. Scheduling policy is now ${node.scheduling}`,
          node,
        );
      }),
    );

  program
    .command('start-fill')
    .description('Fill a node with shards from the others up to the mean; done when it is Active again')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--no-wait', 'return once the fill has started')
    .option('--timeout <duration>', 'how long to wait for the end (e.g. 10m)', parseDuration, 30 * 60_000)
    .action(
      action<StartOptions>(io, async ({ client, out }, o) => {
        const start = await startFill(client, o.nodeId);
        if (!o.wait) return out.say(`Fill started for ${o.nodeId}`, { node_id: o.nodeId, started: 'fill' });
        const result = await followFill(client, io, o.nodeId, start, { timeoutMs: o.timeout });
        out.say(
          `Fill of node ${o.nodeId} done: ${result.after} shards attached (was ${result.before})`,
          result,
        );
      }),
    );

  program
    .command('cancel-fill')
    .description('Cancel a fill and wait for the node to be Active again')
    .requiredOption('--node-id <id>', 'the node', parseWholeNumber)
    .option('--timeout <duration>', 'how long to wait (e.g. 30s)', parseDuration, 60_000)
    .action(
      action<CancelOptions>(io, async ({ client, out }, o) => {
        await client.request('DELETE', `/control/v1/node/${o.nodeId}/fill`);
        out.note(`Waiting for node ${o.nodeId} to quiesce on scheduling policy ...`);
        const node = await poll(
          async () => {
            const n = await getNode(client, o.nodeId);
            return n.scheduling === 'Active' ? n : undefined;
          },
          { intervalMs: 500, timeoutMs: o.timeout, what: `node ${o.nodeId} to stop filling` },
        );
        out.say(`Fill was cancelled for node ${o.nodeId}. Scheduling policy is now ${node.scheduling}`, node);
      }),
    );
}
