// NodeOperationStore in memory: one versioned record, conditional as the DynamoDB one.
import { VersionConflictError } from '../../../lambdas/core/errors';
import type { NodeOperation } from '../../../lambdas/core/model/node-operation';
import type { NodeOperationStore } from '../../../lambdas/core/ports';

export class MemoryNodeOperationStore implements NodeOperationStore {
  private op: NodeOperation | undefined;

  async get(): Promise<NodeOperation | undefined> {
    return this.op && { ...this.op };
  }

  private check(expected: NodeOperation | undefined): void {
    if (this.op?.version !== expected?.version)
      throw new VersionConflictError('node operation changed since it was read');
  }

  async claim(op: Omit<NodeOperation, 'version'>, replacing?: NodeOperation): Promise<NodeOperation> {
    this.check(replacing);
    this.op = { ...op, version: (this.op?.version ?? 0) + 1 };
    return { ...this.op };
  }

  async update(
    op: NodeOperation,
    changes: Partial<Pick<NodeOperation, 'execution' | 'executionId' | 'startedAt' | 'cancelled'>>,
  ): Promise<NodeOperation> {
    this.check(op);
    this.op = { ...this.op!, ...changes, version: op.version + 1 };
    return { ...this.op };
  }

  async release(op: NodeOperation): Promise<void> {
    this.check(op);
    this.op = undefined;
  }
}
