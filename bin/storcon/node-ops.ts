// Following a drain or a fill to its end with a progress bar: a drain is done when the node is
// PauseForRestart (no shard attached there that could move), a fill when it is Active again.
import type { ApiClient } from './client';
import { formatDuration, progressBar } from './format';
import { type Io, LiveLine } from './output';
import type { Node } from './schemas';
import { getNode, listNodes, poll, shardCounts } from './wait';

export interface NodeOpResult {
  node: Node;
  /** Attached shards on the node before and after. */
  before: number;
  after: number;
  ms: number;
}

export interface FollowOptions {
  timeoutMs: number;
  intervalMs?: number;
}

async function attachedOn(client: ApiClient, nodeId: number): Promise<number> {
  return (await shardCounts(client)).get(nodeId)?.attached ?? 0;
}

/** The mean attached count over nodes that take shards: what a fill brings a node up to. */
async function fillTarget(client: ApiClient, nodes: readonly Node[]): Promise<number> {
  const counts = await shardCounts(client);
  const takers = nodes.filter((n) => n.availability === 'Active' || n.availability === 'WarmingUp');
  const total = takers.reduce((sum, n) => sum + (counts.get(n.id)?.attached ?? 0), 0);
  return takers.length > 0 ? Math.floor(total / takers.length) : 0;
}

export async function startDrain(client: ApiClient, nodeId: number): Promise<number> {
  const before = await attachedOn(client, nodeId);
  await client.request('PUT', `/control/v1/node/${nodeId}/drain`);
  return before;
}

export async function followDrain(
  client: ApiClient,
  io: Io,
  nodeId: number,
  before: number,
  options: FollowOptions,
): Promise<NodeOpResult> {
  const line = new LiveLine(io);
  const started = Date.now();
  let after = before;
  const node = await poll(
    async () => {
      const [n, attached] = await Promise.all([getNode(client, nodeId), attachedOn(client, nodeId)]);
      after = attached;
      line.update(
        `drain node ${nodeId}: ${progressBar(before - attached, before)} moved · ${n.scheduling} · ${formatDuration(Date.now() - started)}`,
      );
      if (n.scheduling === 'PauseForRestart') return n;
      if (n.scheduling !== 'Draining')
        throw new Error(
          `drain of node ${nodeId} ended without reaching PauseForRestart (scheduling ${n.scheduling}): cancelled or failed; see \`storcon workflows\``,
        );
      return undefined;
    },
    { intervalMs: options.intervalMs ?? 500, timeoutMs: options.timeoutMs, what: `node ${nodeId} to drain` },
  ).catch((error) => {
    line.done(`drain node ${nodeId}: stopped with ${after} attached`);
    throw error;
  });
  const ms = Date.now() - started;
  line.done(
    `drain node ${nodeId}: ${progressBar(before - after, before)} moved · PauseForRestart · ${formatDuration(ms)}`,
  );
  return { node, before, after, ms };
}

export async function startFill(
  client: ApiClient,
  nodeId: number,
): Promise<{ before: number; target: number }> {
  const nodes = await listNodes(client);
  const before = await attachedOn(client, nodeId);
  const target = await fillTarget(client, nodes);
  await client.request('PUT', `/control/v1/node/${nodeId}/fill`);
  return { before, target };
}

export async function followFill(
  client: ApiClient,
  io: Io,
  nodeId: number,
  start: { before: number; target: number },
  options: FollowOptions,
): Promise<NodeOpResult> {
  const line = new LiveLine(io);
  const started = Date.now();
  let after = start.before;
  const show = (n: { scheduling: string }) =>
    `fill node ${nodeId}: ${progressBar(after, Math.max(start.target, after))} attached (target ${start.target}) · ${n.scheduling} · ${formatDuration(Date.now() - started)}`;
  const node = await poll(
    async () => {
      const [n, attached] = await Promise.all([getNode(client, nodeId), attachedOn(client, nodeId)]);
      after = attached;
      line.update(show(n));
      if (n.scheduling === 'Active') return n;
      if (n.scheduling !== 'Filling')
        throw new Error(
          `fill of node ${nodeId} ended with scheduling ${n.scheduling}; see \`storcon workflows\``,
        );
      return undefined;
    },
    { intervalMs: options.intervalMs ?? 500, timeoutMs: options.timeoutMs, what: `node ${nodeId} to fill` },
  ).catch((error) => {
    line.done(`fill node ${nodeId}: stopped with ${after} attached`);
    throw error;
  });
  line.done(show(node));
  return { node, before: start.before, after, ms: Date.now() - started };
}
