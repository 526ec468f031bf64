// Nodes in the single table's NODES partition: each node item, followed (in sort-key order) by
// its counter items (keys.ts NODE_COUNTER_SLOTS), whose counts are added up into the node's. One
// strongly consistent Query reads every node with its counts.

import { VersionConflictError } from '../../core/errors';
import type { PageserverNode } from '../../core/model/node';
import type { NodeChanges, NodeStore } from '../../core/ports';
import {
  AZ_HOME_PREFIX,
  NODE_COUNTER_SLOTS,
  NODE_SK_PREFIX,
  NODES_PK,
  nodeCounterSk,
  nodeSk,
  sumHomes,
} from './keys';
import type { Item, Table, TransactOp } from './table';

type NodeItem = Item & Omit<PageserverNode, 'version' | 'id'> & { nodeId: number };
type CounterItem = Item & {
  kind: 'counter';
  nodeId: number;
  attachedCount?: number;
  secondaryCount?: number;
};

const isCounter = (item: Item): item is CounterItem => item.SK.includes('#COUNT#');

function toNode(item: NodeItem, counters: CounterItem[]): PageserverNode {
  // The node item's own counts: where counts were kept before they were spread (and still add up).
  let attachedCount = item.attachedCount ?? 0;
  let secondaryCount = item.secondaryCount ?? 0;
  for (const c of counters) {
    attachedCount += c.attachedCount ?? 0;
    secondaryCount += c.secondaryCount ?? 0;
  }
  return {
    id: item.nodeId,
    availability: item.availability,
    scheduling: item.scheduling,
    listenHttpAddr: item.listenHttpAddr,
    listenHttpPort: item.listenHttpPort,
    listenPgAddr: item.listenPgAddr,
    listenPgPort: item.listenPgPort,
    availabilityZoneId: item.availabilityZoneId ?? null,
    // Items written before heartbeats have none of these.
    warmingUpSince: item.warmingUpSince ?? null,
    unresponsiveSince: item.unresponsiveSince ?? null,
    utilization: item.utilization ?? null,
    attachedCount,
    secondaryCount,
    utilizationScore: item.utilizationScore ?? null,
    version: item.version,
  };
}

const slots = Array.from({ length: NODE_COUNTER_SLOTS }, (_, slot) => slot);

export class DynamoNodeStore implements NodeStore {
  constructor(private readonly table: Table) {}

  async get(id: number): Promise<PageserverNode | undefined> {
    const [node] = await this.read(nodeSk(id));
    return node;
  }

  async list(): Promise<PageserverNode[]> {
    return this.read(NODE_SK_PREFIX);
  }

  async create(node: Omit<PageserverNode, 'version'>): Promise<PageserverNode> {
    const { id, attachedCount: _a, secondaryCount: _s, ...rest } = node;
    const item = { PK: NODES_PK, SK: nodeSk(id), nodeId: id, ...rest };
    // The node item's create condition fails a second registration as a whole.
    await this.table.transact([{ kind: 'create', item }, ...slots.map((slot) => this.counterOp(id, slot))]);
    return toNode({ ...item, version: 1 } as NodeItem, []);
  }

  async update(id: number, expectedVersion: number, changes: NodeChanges): Promise<PageserverNode> {
    const item = await this.table.update<NodeItem>(
      { PK: NODES_PK, SK: nodeSk(id) },
      { expectedVersion, set: { ...changes } },
    );
    const [node] = await this.read(nodeSk(id));
    return node ?? toNode(item, []);
  }

  async delete(id: number): Promise<void> {
    await this.table.transact([
      { kind: 'delete', key: { PK: NODES_PK, SK: nodeSk(id) } },
      ...slots.map(
        (slot): TransactOp => ({ kind: 'delete', key: { PK: NODES_PK, SK: nodeCounterSk(id, slot) } }),
      ),
    ]);
  }

  /**
   * The counts are spread over counter items (one may be +1 and another -1), so no single item
   * says "unreferenced": the items are read, their sum must be 0, and each is deleted only if it
   * still holds what was read. A shard write in between changes one and fails the transaction.
   */
  async deleteIfUnreferenced(id: number, expectedVersion: number): Promise<void> {
    const items = await this.table.queryAll<Item>(NODES_PK, { skPrefix: nodeSk(id) });
    const node = items.find((i) => !isCounter(i)) as NodeItem | undefined;
    const counters = items.filter(isCounter);
    const total = (field: 'attachedCount' | 'secondaryCount') =>
      (node?.[field] ?? 0) + counters.reduce((n, c) => n + (c[field] ?? 0), 0);
    if (!node || node.version !== expectedVersion)
      throw new VersionConflictError(`node ${id} changed since version ${expectedVersion}`);
    if (total('attachedCount') !== 0 || total('secondaryCount') !== 0)
      throw new VersionConflictError(`node ${id} is still referenced by shard intents`);
    await this.table.transact([
      { kind: 'delete', key: { PK: NODES_PK, SK: nodeSk(id) }, expectedVersion },
      ...counters.map(
        (c): TransactOp => ({
          kind: 'delete-if',
          key: { PK: NODES_PK, SK: c.SK },
          equals: { attachedCount: c.attachedCount ?? 0, secondaryCount: c.secondaryCount ?? 0 },
        }),
      ),
    ]);
  }

  /** Zeroed counter items: shard writes add to them only while they exist (so while the node does). */
  private counterOp(nodeId: number, slot: number): TransactOp {
    return {
      kind: 'overwrite',
      item: {
        PK: NODES_PK,
        SK: nodeCounterSk(nodeId, slot),
        kind: 'counter',
        nodeId,
        attachedCount: 0,
        secondaryCount: 0,
      },
    };
  }

  /** The NODES partition is the nodes with their counters and the AZ home counters: one Query. */
  async listWithHomes(): Promise<{ nodes: PageserverNode[]; homeShardsByAz: Map<string, number> }> {
    const items = await this.table.queryAll<Item>(NODES_PK);
    return {
      nodes: await this.fromItems(items.filter((i) => i.SK.startsWith(NODE_SK_PREFIX))),
      homeShardsByAz: sumHomes(items.filter((i) => i.SK.startsWith(AZ_HOME_PREFIX))),
    };
  }

  /** Nodes (with their counters) whose sort key starts with `prefix`, in id order. */
  private async read(prefix: string): Promise<PageserverNode[]> {
    return this.fromItems(await this.table.queryAll<Item>(NODES_PK, { skPrefix: prefix }));
  }

  private async fromItems(items: Item[]): Promise<PageserverNode[]> {
    const counters = new Map<number, CounterItem[]>();
    for (const item of items.filter(isCounter))
      counters.set(item.nodeId, [...(counters.get(item.nodeId) ?? []), item]);
    const nodes = items.filter((i) => !isCounter(i)) as NodeItem[];
    const bare = nodes.filter((n) => (counters.get(n.nodeId)?.length ?? 0) < NODE_COUNTER_SLOTS);
    if (bare.length > 0)
      await Promise.all(bare.map((n) => this.addCounters(n, counters.get(n.nodeId) ?? [])));
    return nodes.map((n) => toNode(n, counters.get(n.nodeId) ?? []));
  }

  /**
   * A node registered before counts were spread has no counter items, and shard writes would fail
   * on it: add the missing ones (zero), provided the node is still there as read. A concurrent
   * writer doing the same makes this fail harmlessly; the next read sees its items.
   */
  private async addCounters(node: NodeItem, present: CounterItem[]): Promise<void> {
    const have = new Set(present.map((c) => c.SK));
    const missing = slots.filter((slot) => !have.has(nodeCounterSk(node.nodeId, slot)));
    await this.table
      .transact([
        { kind: 'check', key: { PK: NODES_PK, SK: node.SK }, expectedVersion: node.version },
        ...missing.map((slot): TransactOp => {
          const { item } = this.counterOp(node.nodeId, slot) as Extract<TransactOp, { kind: 'overwrite' }>;
          return { kind: 'create', item };
        }),
      ])
      .catch(() => undefined);
  }
}
