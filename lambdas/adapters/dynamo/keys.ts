// Item keys of the single table. One place, so that every reader and writer agrees.

/** All node items share one partition: the scheduler reads every node with its counters in one
 * strongly consistent Query. */
export const NODES_PK = 'NODES';
export const nodeSk = (nodeId: number): string => `NODE#${String(nodeId).padStart(20, '0')}`;

/** Per-node partition for node→shard membership items. */
export const nodePartition = (nodeId: number): string => `NODE#${nodeId}`;

export const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;
export const TENANT_META_SK = 'META';

export const CONTROLLER_PK = 'CONTROLLER';
export const CONTROLLER_META_SK = 'META';
