// The cluster's background node operation: one item beside the controller's metadata, claimed
// with a create condition (or replacing an abandoned one at its version), so two operations can
// never both start.
import type { NodeOperation } from '../../core/model/node-operation';
import type { NodeOperationStore } from '../../core/ports';
import { CONTROLLER_PK, NODE_OPERATION_SK } from './keys';
import type { Item, Table } from './table';

type OperationItem = Item & Omit<NodeOperation, 'version'>;

const KEY = { PK: CONTROLLER_PK, SK: NODE_OPERATION_SK };

function toOperation(item: OperationItem): NodeOperation {
  return {
    kind: item.kind,
    nodeId: item.nodeId,
    execution: item.execution,
    executionId: item.executionId ?? null,
    startedAt: item.startedAt,
    cancelled: item.cancelled ?? false,
    previousPolicy: item.previousPolicy,
    force: item.force ?? false,
    version: item.version,
  };
}

export class DynamoNodeOperationStore implements NodeOperationStore {
  constructor(private readonly table: Table) {}

  async get(): Promise<NodeOperation | undefined> {
    const item = await this.table.get<OperationItem>(KEY);
    return item && toOperation(item);
  }

  async claim(op: Omit<NodeOperation, 'version'>, replacing?: NodeOperation): Promise<NodeOperation> {
    if (!replacing) return toOperation(await this.table.create<OperationItem>({ ...KEY, ...op }));
    return toOperation(
      await this.table.update<OperationItem>(KEY, { expectedVersion: replacing.version, set: { ...op } }),
    );
  }

  async update(
    op: NodeOperation,
    changes: Partial<Pick<NodeOperation, 'execution' | 'executionId' | 'startedAt' | 'cancelled'>>,
  ): Promise<NodeOperation> {
    return toOperation(
      await this.table.update<OperationItem>(KEY, { expectedVersion: op.version, set: { ...changes } }),
    );
  }

  async release(op: NodeOperation): Promise<void> {
    await this.table.delete(KEY, op.version);
  }
}
