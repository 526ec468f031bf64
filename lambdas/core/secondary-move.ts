// Moving a shard's secondary location to a chosen node (PUT .../migrate_secondary,
// later-features.md E2): which intent that gives, or why it is refused. Pure.
import type { Intent, TenantShard } from './model/tenant-shard';

export type SecondaryMove =
  | { kind: 'unchanged' }
  | { kind: 'move'; intent: Intent }
  | { kind: 'refused'; message: string };

/**
 * The node replaces the shard's first secondary (other secondaries of an `{"Attached": n}` policy
 * with n > 1 stay where they are). Already a secondary there: nothing to change.
 */
export function planSecondaryMove(
  shard: Pick<TenantShard, 'policy' | 'intent'>,
  nodeId: number,
  shardName: string,
): SecondaryMove {
  const { policy, intent } = shard;
  if (policy.kind === 'Detached')
    return {
      kind: 'refused',
      message: `Tenant shard ${shardName} is detached: it has no secondary location`,
    };
  if (policy.kind === 'Attached' && policy.secondaries === 0)
    return {
      kind: 'refused',
      message: `Tenant shard ${shardName} keeps no secondary location (placement policy {"Attached":0})`,
    };
  if (intent.attached === nodeId)
    return {
      kind: 'refused',
      message: `Tenant shard ${shardName} is attached to node ${nodeId}: a secondary cannot go there`,
    };
  if (intent.secondary.includes(nodeId)) return { kind: 'unchanged' };
  const secondary = intent.secondary.length === 0 ? [nodeId] : [nodeId, ...intent.secondary.slice(1)];
  return { kind: 'move', intent: { attached: intent.attached, secondary } };
}
