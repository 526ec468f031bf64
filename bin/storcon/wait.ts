// Waiting for the controller: poll until a condition holds, or give up after a timeout with a
// message saying what was awaited and what was last seen.
import type { ApiClient } from './client';
import { type Node, nodeSchema, parse, schedulerSchema } from './schemas';

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  intervalMs: number;
  timeoutMs: number;
  /** What is awaited, for the timeout message. */
  what: string;
}

/** Calls `check` until it returns a value (not undefined). */
export async function poll<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline)
      throw new WaitTimeoutError(`timed out after ${options.timeoutMs / 1000}s waiting for ${options.what}`);
    await sleep(options.intervalMs);
  }
}

/** One node, from the node list (which every controller version serves). */
export async function getNode(client: ApiClient, nodeId: number): Promise<Node> {
  const node = (await listNodes(client)).find((n) => n.id === nodeId);
  if (!node) throw new Error(`node ${nodeId} is not registered`);
  return node;
}

export async function listNodes(client: ApiClient): Promise<Node[]> {
  const nodes = parse(nodeSchema.array(), await client.get('/control/v1/node'), 'GET /control/v1/node');
  return nodes.sort((a, b) => a.id - b.id);
}

/** Attached and secondary shard counts per node, from the scheduler's view. */
export async function shardCounts(
  client: ApiClient,
): Promise<Map<number, { attached: number; secondary: number }>> {
  const dump = parse(schedulerSchema, await client.get('/debug/v1/scheduler'), 'GET /debug/v1/scheduler');
  return new Map(
    Object.entries(dump.nodes).map(([id, n]) => [
      Number(id),
      { attached: n.attached_count, secondary: n.secondary_count },
    ]),
  );
}
