// Ports: what the domain needs from the outside world. Each runtime's composition root supplies
// implementations (DynamoDB on AWS and on DynamoDB Local alike).
import type { NodeAvailability, NodeSchedulingPolicy, PageserverNode } from './model/node';

export interface NodeChanges {
  availability?: NodeAvailability;
  scheduling?: NodeSchedulingPolicy;
  availabilityZoneId?: string;
}

export interface NodeStore {
  get(id: number): Promise<PageserverNode | undefined>;
  /** Every node, strongly consistent, ordered by id. */
  list(): Promise<PageserverNode[]>;
  /** Fails with VersionConflictError if the node exists. */
  create(node: Omit<PageserverNode, 'version'>): Promise<PageserverNode>;
  /** Fails with VersionConflictError if the node changed since `expectedVersion` or is gone. */
  update(id: number, expectedVersion: number, changes: NodeChanges): Promise<PageserverNode>;
  delete(id: number): Promise<void>;
}

export interface ControllerMeta {
  /** Identifies the current start of the deployment (local run or deploy). */
  startupEpoch: string | null;
  /** The epoch whose startup work has finished; ready when equal to startupEpoch. */
  readyEpoch: string | null;
  version: number;
}

export interface ControllerMetaStore {
  get(): Promise<ControllerMeta>;
  /** A new start begins: the service is not ready until markReady(epoch). */
  beginStartup(epoch: string): Promise<void>;
  markReady(epoch: string): Promise<void>;
}

export function isReady(meta: ControllerMeta): boolean {
  return meta.startupEpoch !== null && meta.readyEpoch === meta.startupEpoch;
}
