// Item keys of the single table. One place, so that every reader and writer agrees.

/** All node items share one partition: the scheduler reads every node with its counters in one
 * strongly consistent Query. */
export const NODES_PK = 'NODES';
export const NODE_SK_PREFIX = 'NODE#';
export const nodeSk = (nodeId: number): string => `${NODE_SK_PREFIX}${String(nodeId).padStart(20, '0')}`;

/**
 * A node's attached/secondary counts are spread over this many counter items beside its node item
 * and summed on read. Every shard write adds to a counter in its own transaction, and DynamoDB
 * cancels a transaction touching an item another one in flight touches: with a single counter per
 * node, concurrent placements on a node would conflict every time. A create of a tenant with shards
 * on every node touches one slot of each node: with 16 slots, 32 such creates at once met each other
 * on nearly every attempt (and some gave up after ten); with 64, about one in two attempts meets
 * one. The price is the nodes Query reading 65 small items per node. Registration and removal
 * write a node's counters in its own transaction, so this stays below 99.
 */
export const NODE_COUNTER_SLOTS = 64;
export const nodeCounterSk = (nodeId: number, slot: number): string =>
  `${nodeSk(nodeId)}#COUNT#${String(slot).padStart(2, '0')}`;

/**
 * How many shards call each availability zone home (their preferred AZ), spread over counter items
 * in the NODES partition as node counts are: tenant create reads them to pick the next home AZ.
 */
export const azHomeSk = (az: string, slot: number): string => `AZHOME#${az}#${String(slot).padStart(2, '0')}`;
export const AZ_HOME_PREFIX = 'AZHOME#';

/** How many shards call each AZ home, summed over its counter items (azHomeSk). */
export function sumHomes(items: ReadonlyArray<Record<string, unknown>>): Map<string, number> {
  const homes = new Map<string, number>();
  for (const item of items) {
    if (typeof item.az !== 'string') continue;
    homes.set(
      item.az,
      (homes.get(item.az) ?? 0) + (typeof item.homeShards === 'number' ? item.homeShards : 0),
    );
  }
  return homes;
}

/** Per-node partition for node→shard membership items. */
export const nodePartition = (nodeId: number): string => `NODE#${nodeId}`;

export const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;
export const TENANT_META_SK = 'META';

export const CONTROLLER_PK = 'CONTROLLER';
export const CONTROLLER_META_SK = 'META';
/** The one background node operation (drain, fill, graceful delete) of the cluster. */
export const NODE_OPERATION_SK = 'NODE_OPERATION';
