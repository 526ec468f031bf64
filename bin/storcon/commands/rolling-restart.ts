// A rolling restart, node by node: drain (the node's attachments move away) → PauseForRestart →
// restart it (a hook command, or the operator when told) → wait until it has re-attached and is
// Active → fill it back to the mean. Progress on stderr; a summary table at the end.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { parseDuration, parseNodeList } from '../args';
import type { ApiClient } from '../client';
import { action, UsageError } from '../context';
import { formatDuration } from '../format';
import { followDrain, followFill, startDrain, startFill } from '../node-ops';
import { type Io, LiveLine } from '../output';
import type { Node } from '../schemas';
import { getNode, listNodes, poll, shardCounts } from '../wait';

interface Options {
  nodes?: number[];
  restartHook?: string;
  timeout: number;
  restartTimeout: number;
}

interface NodeReport {
  node_id: number;
  moved_away: number;
  left_attached: number;
  drain_ms: number;
  restart_ms: number;
  filled_to: number;
  fill_ms: number;
}

/** Runs the hook with the node in its environment; its output goes to stderr. */
function runHook(command: string, node: Node): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      stdio: ['ignore', 2, 2],
      env: {
        ...process.env,
        STORCON_NODE_ID: String(node.id),
        STORCON_NODE_HTTP_ADDR: node.listen_http_addr,
        STORCON_NODE_HTTP_PORT: String(node.listen_http_port),
      },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`restart hook for node ${node.id} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

/** Back after the restart: re-attached (no longer PauseForRestart) and Active. */
async function waitBack(client: ApiClient, io: Io, nodeId: number, timeoutMs: number): Promise<number> {
  const line = new LiveLine(io);
  const started = Date.now();
  const show = (n: Node) =>
    `restart node ${nodeId}: availability ${n.availability}, scheduling ${n.scheduling} · ${formatDuration(Date.now() - started)}`;
  const node = await poll(
    async () => {
      const n = await getNode(client, nodeId);
      line.update(show(n));
      return n.scheduling !== 'PauseForRestart' && n.availability === 'Active' ? n : undefined;
    },
    { intervalMs: 500, timeoutMs, what: `node ${nodeId} to re-attach and be Active` },
  );
  line.done(show(node));
  return Date.now() - started;
}

async function restartOne(
  client: ApiClient,
  io: Io,
  node: Node,
  o: Options,
  phase: { text: string },
): Promise<NodeReport> {
  phase.text = `node ${node.id} is draining: \`storcon cancel-drain --node-id ${node.id}\` cancels`;
  const before = await startDrain(client, node.id);
  const drain = await followDrain(client, io, node.id, before, { timeoutMs: o.timeout });
  phase.text = `node ${node.id} is PauseForRestart: restart it, then \`storcon start-fill --node-id ${node.id}\``;
  const restartStarted = Date.now();
  if (o.restartHook) {
    io.stderr(`restart node ${node.id}: running the restart hook\n`);
    await runHook(o.restartHook, node);
  } else {
    io.stderr(
      `Restart pageserver ${node.id} (${node.listen_http_addr}:${node.listen_http_port}) now; waiting for it to re-attach ...\n`,
    );
  }
  await waitBack(client, io, node.id, o.restartTimeout);
  const restartMs = Date.now() - restartStarted;
  phase.text = `node ${node.id} is filling: \`storcon cancel-fill --node-id ${node.id}\` cancels`;
  const fill = await followFill(client, io, node.id, await startFill(client, node.id), {
    timeoutMs: o.timeout,
  });
  return {
    node_id: node.id,
    moved_away: drain.before - drain.after,
    left_attached: drain.after,
    drain_ms: drain.ms,
    restart_ms: restartMs,
    filled_to: fill.after,
    fill_ms: fill.ms,
  };
}

export function registerRollingRestart(program: Command, io: Io): void {
  program
    .command('rolling-restart')
    .description('Restart pageservers one by one: drain, restart (hook or operator), wait for Active, fill')
    .option('--nodes <ids>', 'these nodes, in this order (default: every node)', parseNodeList)
    .option(
      '--restart-hook <command>',
      'shell command that restarts a node ($STORCON_NODE_ID, $STORCON_NODE_HTTP_ADDR, $STORCON_NODE_HTTP_PORT)',
    )
    .option('--timeout <duration>', 'limit for each drain and each fill', parseDuration, 30 * 60_000)
    .option('--restart-timeout <duration>', 'limit for a node to come back', parseDuration, 10 * 60_000)
    .action(
      action<Options>(io, async ({ client, out }, o) => {
        const all = await listNodes(client);
        const ids = o.nodes ?? all.map((n) => n.id);
        const targets: Node[] = [];
        for (const id of ids) {
          const node = all.find((n) => n.id === id);
          if (!node) throw new UsageError(`node ${id} is not registered`);
          if (node.availability !== 'Active')
            throw new UsageError(
              `node ${id} is ${node.availability}: bring it back or leave it out with --nodes`,
            );
          // Orchestrators skip paused nodes: a drain would be refused there (412).
          if (node.scheduling === 'Pause') {
            out.note(`skipping node ${id}: scheduling Pause`);
            continue;
          }
          targets.push(node);
        }
        const phase = { text: 'nothing started yet' };
        const onInterrupt = () => {
          io.stderr(`\ninterrupted: ${phase.text}\n`);
          process.exit(130);
        };
        process.once('SIGINT', onInterrupt);
        const reports: NodeReport[] = [];
        const started = Date.now();
        try {
          for (const [i, node] of targets.entries()) {
            io.stderr(
              `[${i + 1}/${targets.length}] node ${node.id} (${node.listen_http_addr}:${node.listen_http_port})\n`,
            );
            reports.push(await restartOne(client, io, node, o, phase));
          }
        } finally {
          process.off('SIGINT', onInterrupt);
        }
        const counts = await shardCounts(client);
        const attached = (await listNodes(client)).map((n) => ({
          node_id: n.id,
          attached: counts.get(n.id)?.attached ?? 0,
        }));
        const spread =
          Math.max(...attached.map((a) => a.attached)) - Math.min(...attached.map((a) => a.attached));
        if (out.json) return out.printJson({ nodes: reports, attached, spread, ms: Date.now() - started });
        out.table(
          ['Node', 'Moved away', 'Left attached', 'Drain', 'Restart', 'Filled to', 'Fill'],
          reports.map((r) => [
            r.node_id,
            r.moved_away,
            r.left_attached,
            formatDuration(r.drain_ms),
            formatDuration(r.restart_ms),
            r.filled_to,
            formatDuration(r.fill_ms),
          ]),
          reports,
        );
        out.text(
          `Rolling restart of ${reports.length} nodes done in ${formatDuration(Date.now() - started)}; attached per node: ${attached.map((a) => `${a.node_id}=${a.attached}`).join(' ')} (spread ${spread})`,
        );
      }),
    );
}
