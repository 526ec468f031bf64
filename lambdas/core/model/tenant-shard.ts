// One tenant shard as persisted: its placement intent, what we believe each pageserver holds
// (observed), and its generation. The DynamoDB item is this plus keys.
import type { TenantShardId } from '../ids';
import type { LocationConfig, ShardIdentity, TenantConfig } from './location-config';
import type { PlacementPolicy, ShardSchedulingPolicy } from './placement-policy';

export interface Intent {
  attached: number | null;
  secondary: number[];
}

/**
 * Observed locations by node id. No entry: certainly nothing there. `null`: unknown (a call failed
 * half-way or the node went offline). A config: what the node last confirmed.
 */
export type Observed = Record<string, LocationConfig | null>;

export interface TenantShard {
  id: TenantShardId;
  stripeSize: number;
  /** Latest generation issued for this shard; the next attach increments it first. */
  generation: number;
  /** The node the latest generation was issued to. */
  generationPageserver: number | null;
  policy: PlacementPolicy;
  schedulingPolicy: ShardSchedulingPolicy;
  config: TenantConfig;
  intent: Intent;
  observed: Observed;
  splitting: boolean;
  pendingComputeNotification: boolean;
  lastError: string | null;
  /**
   * The availability zone the shard's attachment belongs in (its "home"), chosen at create and
   * inherited by split children; null when unknown (then every AZ is as good).
   */
  preferredAz: string | null;
  /**
   * A location_config carrying the newest generation may be on its way to `node` until `until`
   * (epoch ms): see core/model/sending.ts. Absent: nothing in flight.
   */
  sending?: { node: number; until: number };
  version: number;
}

export const EMPTY_INTENT: Intent = { attached: null, secondary: [] };

/** Every node the intent references, attached first. */
export function intentNodes(intent: Intent): number[] {
  return intent.attached === null ? [...intent.secondary] : [intent.attached, ...intent.secondary];
}

/** A shard as first written: nothing observed, no error, no generation issued yet. */
export function newShard(
  fields: Pick<TenantShard, 'id' | 'stripeSize' | 'generation' | 'policy' | 'config' | 'intent'> &
    Partial<Pick<TenantShard, 'preferredAz'>>,
): TenantShard {
  return {
    preferredAz: null,
    ...fields,
    generationPageserver: null,
    schedulingPolicy: 'Active',
    observed: {},
    splitting: false,
    pendingComputeNotification: false,
    lastError: null,
    version: 0,
  };
}

/** What a location_config call says about the shard itself (number, count, stripe). */
export function shardIdentity(shard: TenantShard): ShardIdentity {
  return { number: shard.id.number, count: shard.id.count, stripeSize: shard.stripeSize };
}

/** JSON with object keys sorted: equal values give equal text whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * The same observed state, location by location. Key order does not count: a map read back from
 * DynamoDB does not keep the order it was written in, nor does a pageserver's listing.
 */
export function sameObserved(a: Observed, b: Observed): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
