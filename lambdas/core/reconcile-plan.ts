// The reconcile planner: from a shard's intent, observed state and generation, the ordered
// pageserver actions that make observed match intent. Pure; the executor runs the first action,
// records what happened, and plans again.
import { attachedConf, sameLocation, secondaryConf } from './model/location-config';
import type { NodeAvailability } from './model/node';
import { shardIdentity, type TenantShard } from './model/tenant-shard';

export type ReconcileAction =
  /** Persist generation + 1 issued to `node`, then PUT AttachedSingle in it there. */
  | { kind: 'attach'; node: number }
  /** PUT AttachedStale (in the generation it holds) on a node that is AttachedSingle elsewhere. */
  | { kind: 'stale'; node: number }
  | { kind: 'secondary'; node: number }
  /** PUT Detached; a confirmed detach removes the observed entry. */
  | { kind: 'detach'; node: number }
  /** Tell the compute hook where the tenant's shards are. */
  | { kind: 'notify' };

/**
 * Actions in order: attach (and notify), secondaries, then detaches, so that the old location is
 * only dropped once the new one is confirmed. Before an attach, every other location observed in
 * AttachedSingle is demoted to AttachedStale, so that two pageservers never both act as the sole
 * holder (the old one keeps serving reads but stops uploading and deleting), and every other
 * location in an unknown state is made what the intent wants there (secondary or detached). An
 * attach on an Offline node is still planned: the executor fails it, which keeps the shard dirty
 * until the node returns or moves.
 */
export function planReconcile(
  shard: TenantShard,
  _nodes: ReadonlyMap<number, { availability: NodeAvailability }> = new Map(),
): ReconcileAction[] {
  if (shard.splitting || shard.schedulingPolicy === 'Stop') return [];
  const identity = shardIdentity(shard);
  const actions: ReconcileAction[] = [];
  const { attached, secondary } = shard.intent;
  if (attached !== null) {
    const wanted = attachedConf(identity, shard.config, shard.generation);
    const current = shard.observed[String(attached)];
    if (shard.generationPageserver !== attached || !sameLocation(current, wanted)) {
      for (const [key, conf] of Object.entries(shard.observed)) {
        const node = Number(key);
        if (node === attached) continue;
        if (conf?.mode === 'AttachedSingle') actions.push({ kind: 'stale', node });
        // A location in an unknown state may be a live sole holder (an aborted migration, a node
        // that was marked Offline but still runs): settle it first, so that the new attachment
        // never overlaps it. If it does not answer, the new generation fences it instead.
        else if (conf === null)
          actions.push({ kind: secondary.includes(node) ? 'secondary' : 'detach', node });
      }
      actions.push({ kind: 'attach', node: attached }, { kind: 'notify' });
    } else if (shard.pendingComputeNotification) {
      actions.push({ kind: 'notify' });
    }
  }
  const wantedSecondary = secondaryConf(identity, shard.config);
  for (const node of secondary) {
    if (!sameLocation(shard.observed[String(node)], wantedSecondary))
      actions.push({ kind: 'secondary', node });
  }
  const intended = new Set(attached === null ? secondary : [attached, ...secondary]);
  for (const key of Object.keys(shard.observed)) {
    const node = Number(key);
    if (!intended.has(node)) actions.push({ kind: 'detach', node });
  }
  // Owed from an earlier attachment, but the policy now attaches nowhere: the notifier has
  // nothing to announce and settles the debt (the next attach owes a fresh one). Last, so that
  // a notifier busy elsewhere does not hold up the detaches.
  if (attached === null && shard.pendingComputeNotification) actions.push({ kind: 'notify' });
  return actions;
}

/**
 * Needs reconcile-all's attention: something to do, or a split in progress (so that a split whose
 * execution died is found and finished or aborted rather than left flagged for good).
 */
export function isDirty(shard: TenantShard): boolean {
  return shard.splitting || planReconcile(shard).length > 0;
}

/**
 * Its policy attaches it, but no node is intended to (a node was dropped, say): startup gives it
 * one. Kept in the sparse index beside the dirty shards, so startup finds these without reading
 * the fleet.
 */
export function needsPlacement(shard: TenantShard): boolean {
  return shard.policy.kind === 'Attached' && shard.intent.attached === null && !shard.splitting;
}
