// What follows from one shard change besides the shard item: the node→shard membership items
// and the per-node counter deltas. A tenant's writes add to one of each node's counter items
// (keys.ts NODE_COUNTER_SLOTS; another one when sent again after a conflict), so placements of
// different tenants on one node seldom meet in DynamoDB's transaction conflicts, while every count
// stays exact (reads add the items up) and in the same transaction as its shard write.
import { createHash } from 'node:crypto';
import { formatTenantShardId, type TenantShardId } from '../../core/ids';
import { membershipFlags, nodesOf } from '../../core/model/membership';
import type { ShardChange } from '../../core/ports';
import { azHomeSk, NODE_COUNTER_SLOTS, NODES_PK, nodeCounterSk, nodePartition } from './keys';
import type { Key, TransactOp } from './table';

const membershipSk = (id: TenantShardId) => `SHARD#${formatTenantShardId(id)}`;

/** The counter item of each node that a tenant's shard writes add to. */
export function counterSlot(tenantId: string): number {
  return createHash('sha256').update(tenantId).digest().readUInt16BE(0) % NODE_COUNTER_SLOTS;
}

/** Any counter item: where a write that met a conflict on its tenant's item adds instead. */
export function randomSlot(): number {
  return Math.floor(Math.random() * NODE_COUNTER_SLOTS);
}

/** The membership writes and counter deltas that follow from one shard change. */
export function derivedOps(
  change: ShardChange,
  counters: Map<number, { attached: number; secondary: number }>,
): TransactOp[] {
  const ops: TransactOp[] = [];
  const id = (change.after ?? change.before)!.id;
  const nodes = new Set([...nodesOf(change.before), ...nodesOf(change.after)]);
  for (const node of nodes) {
    const before = membershipFlags(change.before, node);
    const after = membershipFlags(change.after, node);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const key: Key = { PK: nodePartition(node), SK: membershipSk(id) };
    if (after.attached || after.secondary || after.issued || after.observed) {
      ops.push({
        kind: 'overwrite',
        item: { ...key, kind: 'membership', tenantShardId: formatTenantShardId(id), ...after },
      });
    } else {
      ops.push({ kind: 'delete', key });
    }
    const delta = counters.get(node) ?? { attached: 0, secondary: 0 };
    delta.attached += Number(after.attached) - Number(before.attached);
    delta.secondary += Number(after.secondary) - Number(before.secondary);
    counters.set(node, delta);
  }
  return ops;
}

export function counterOps(
  counters: Map<number, { attached: number; secondary: number }>,
  slot: number,
): TransactOp[] {
  const ops: TransactOp[] = [];
  for (const [node, delta] of counters) {
    if (delta.attached === 0 && delta.secondary === 0) continue;
    ops.push({
      kind: 'add',
      key: { PK: NODES_PK, SK: nodeCounterSk(node, slot) },
      add: { attachedCount: delta.attached, secondaryCount: delta.secondary },
    });
  }
  return ops;
}

/** The change in how many shards call each AZ home: a create, delete or preferred-AZ change. */
export function azHomeDeltas(change: ShardChange, deltas: Map<string, number>): void {
  const before = change.before?.preferredAz ?? null;
  const after = change.after?.preferredAz ?? null;
  if (before === after) return;
  if (before !== null) deltas.set(before, (deltas.get(before) ?? 0) - 1);
  if (after !== null) deltas.set(after, (deltas.get(after) ?? 0) + 1);
}

export function azHomeOps(deltas: Map<string, number>, slot: number): TransactOp[] {
  return [...deltas]
    .filter(([, delta]) => delta !== 0)
    .map(([az, delta]) => ({
      kind: 'increment',
      key: { PK: NODES_PK, SK: azHomeSk(az, slot) },
      add: { homeShards: delta },
      set: { kind: 'az-home', az },
    }));
}
