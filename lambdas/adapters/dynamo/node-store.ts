import type { PageserverNode } from '../../core/model/node';
import type { NodeChanges, NodeStore } from '../../core/ports';
import { NODES_PK, nodeSk } from './keys';
import type { Item, Table } from './table';

type NodeItem = Item & Omit<PageserverNode, 'version' | 'id'> & { nodeId: number };

function toNode(item: NodeItem): PageserverNode {
  return {
    id: item.nodeId,
    availability: item.availability,
    scheduling: item.scheduling,
    listenHttpAddr: item.listenHttpAddr,
    listenHttpPort: item.listenHttpPort,
    listenPgAddr: item.listenPgAddr,
    listenPgPort: item.listenPgPort,
    availabilityZoneId: item.availabilityZoneId ?? null,
    attachedCount: item.attachedCount ?? 0,
    secondaryCount: item.secondaryCount ?? 0,
    version: item.version,
  };
}

export class DynamoNodeStore implements NodeStore {
  constructor(private readonly table: Table) {}

  async get(id: number): Promise<PageserverNode | undefined> {
    const item = await this.table.get<NodeItem>({ PK: NODES_PK, SK: nodeSk(id) });
    return item ? toNode(item) : undefined;
  }

  async list(): Promise<PageserverNode[]> {
    const items = await this.table.queryAll<NodeItem>(NODES_PK, { skPrefix: 'NODE#' });
    return items.map(toNode);
  }

  async create(node: Omit<PageserverNode, 'version'>): Promise<PageserverNode> {
    const { id, ...rest } = node;
    const item = await this.table.create<NodeItem>({ PK: NODES_PK, SK: nodeSk(id), nodeId: id, ...rest });
    return toNode(item);
  }

  async update(id: number, expectedVersion: number, changes: NodeChanges): Promise<PageserverNode> {
    const item = await this.table.update<NodeItem>(
      { PK: NODES_PK, SK: nodeSk(id) },
      { expectedVersion, set: { ...changes } },
    );
    return toNode(item);
  }

  async delete(id: number): Promise<void> {
    await this.table.delete({ PK: NODES_PK, SK: nodeSk(id) });
  }
}
