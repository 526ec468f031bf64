// Where a tenant's shards should live (modern-additions.md): one attached location plus n
// secondaries, one secondary only, or nothing.
import * as z from 'zod';

export type PlacementPolicy =
  | { kind: 'Attached'; secondaries: number }
  | { kind: 'Secondary' }
  | { kind: 'Detached' };

export const DEFAULT_PLACEMENT_POLICY: PlacementPolicy = { kind: 'Attached', secondaries: 0 };

/** Most secondaries a policy may ask for: more than this is a typo, not a plan. */
export const MAX_SECONDARIES = 8;

const count = z.number().int().min(0).max(MAX_SECONDARIES);

/** Accepts the modern forms and the original's `"Single"` / `{"Double": n}`; emits only modern ones. */
export const placementPolicySchema: z.ZodType<PlacementPolicy> = z.union([
  z
    .object({ Attached: count })
    .strict()
    .transform((p) => ({ kind: 'Attached' as const, secondaries: p.Attached })),
  z
    .object({ Double: count })
    .strict()
    .transform((p) => ({ kind: 'Attached' as const, secondaries: p.Double })),
  z.literal('Single').transform(() => ({ kind: 'Attached' as const, secondaries: 0 })),
  z.literal('Secondary').transform(() => ({ kind: 'Secondary' as const })),
  z.literal('Detached').transform(() => ({ kind: 'Detached' as const })),
]);

export function placementPolicyToJson(policy: PlacementPolicy): unknown {
  switch (policy.kind) {
    case 'Attached':
      return { Attached: policy.secondaries };
    case 'Secondary':
      return 'Secondary';
    case 'Detached':
      return 'Detached';
  }
}

/**
 * Per-shard scheduling switch (later-features.md I1): Active allows everything; Essential only
 * what availability needs (no optimizations); Pause no placement change at all, not even when a
 * node fails, though the shard is still reconciled to the placement it has; Stop, in addition, no
 * pageserver calls (reconciles are skipped, silently).
 */
export const SHARD_SCHEDULING_POLICIES = ['Active', 'Essential', 'Pause', 'Stop'] as const;
export type ShardSchedulingPolicy = (typeof SHARD_SCHEDULING_POLICIES)[number];

/** Pause and Stop pin a shard where it is: nothing may change its intent but an operator. */
export function isPinned(policy: ShardSchedulingPolicy): boolean {
  return policy === 'Pause' || policy === 'Stop';
}

/**
 * The scheduling switch after a policy change. Making a tenant Detached or Secondary lifts a
 * Pause or Stop (the reference does, so that such a tenant can always be detached), unless the
 * same change sets the switch itself.
 */
export function schedulingAfter(
  current: ShardSchedulingPolicy,
  change: { policy?: PlacementPolicy; schedulingPolicy?: ShardSchedulingPolicy },
): ShardSchedulingPolicy {
  if (change.schedulingPolicy) return change.schedulingPolicy;
  if (change.policy && change.policy.kind !== 'Attached' && isPinned(current)) return 'Active';
  return current;
}
