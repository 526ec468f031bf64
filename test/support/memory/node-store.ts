// NodeStore in memory, with the per-node attached/secondary counters that the tenant store keeps
// in step with shard intents (on DynamoDB they are attributes of the node item).
import { VersionConflictError } from '../../../lambdas/core/errors';
import type { PageserverNode } from '../../../lambdas/core/model/node';
import type { NodeChanges, NodeStore } from '../../../lambdas/core/ports';
import { copy } from './clone';

export class MemoryNodeStore implements NodeStore {
  private readonly nodes = new Map<number, PageserverNode>();

  async get(id: number): Promise<PageserverNode | undefined> {
    const node = this.nodes.get(id);
    return node ? copy(node) : undefined;
  }

  async list(): Promise<PageserverNode[]> {
    return [...this.nodes.values()].sort((a, b) => a.id - b.id).map(copy);
  }

  /** Where the AZ home counts come from: the tenant store built on this node store says. */
  homes: () => Promise<Map<string, number>> = async () => new Map();

  async listWithHomes(): Promise<{ nodes: PageserverNode[]; homeShardsByAz: Map<string, number> }> {
    return { nodes: await this.list(), homeShardsByAz: await this.homes() };
  }

  async create(node: Omit<PageserverNode, 'version'>): Promise<PageserverNode> {
    if (this.nodes.has(node.id)) throw new VersionConflictError(`node ${node.id} already exists`);
    const stored = { ...copy(node), version: 1 };
    this.nodes.set(node.id, stored);
    return copy(stored);
  }

  async update(id: number, expectedVersion: number, changes: NodeChanges): Promise<PageserverNode> {
    const node = this.nodes.get(id);
    if (!node || node.version !== expectedVersion) {
      throw new VersionConflictError(`node ${id} changed since version ${expectedVersion}`);
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const next = { ...node, ...defined, version: node.version + 1 };
    this.nodes.set(id, next);
    return copy(next);
  }

  async delete(id: number): Promise<void> {
    this.nodes.delete(id);
  }

  async deleteIfUnreferenced(id: number, expectedVersion: number): Promise<void> {
    const node = this.nodes.get(id);
    if (!node || node.version !== expectedVersion || node.attachedCount !== 0 || node.secondaryCount !== 0)
      throw new VersionConflictError(`node ${id} changed since version ${expectedVersion} or is referenced`);
    this.nodes.delete(id);
  }

  // For the tenant store's transactions: counter changes need the node item to exist (DynamoDB's
  // ADD is conditioned on it) and leave its version alone.

  has(id: number): boolean {
    return this.nodes.has(id);
  }

  addCounts(id: number, attached: number, secondary: number): void {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`node ${id} vanished inside a transaction`);
    node.attachedCount += attached;
    node.secondaryCount += secondary;
  }
}
