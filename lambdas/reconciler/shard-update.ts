// Read-modify-write of one shard: each attempt re-reads the latest version and applies only its
// own change, so a lost race never overwrites someone else's update.

import type { TenantShardId } from '../core/ids';
import type { LocationConfig } from '../core/model/location-config';
import type { TenantShard } from '../core/model/tenant-shard';
import type { TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';

const ATTEMPTS = 20;

/**
 * Applies `change` to the latest shard; null from `change` writes nothing. Undefined if the shard
 * is gone. `known`, a copy the caller already holds (as saved by its last write), saves the read
 * of the first attempt: the write is conditioned on its version, so a stale copy only costs a
 * retry from a fresh read.
 */
export async function updateShard(
  tenants: TenantStore,
  id: TenantShardId,
  change: (shard: TenantShard) => TenantShard | null,
  known?: TenantShard,
): Promise<TenantShard | undefined> {
  let cached = known;
  return retryOnConflict(async () => {
    const shard = cached ?? (await tenants.getShard(id));
    cached = undefined;
    if (!shard) return undefined;
    const next = change(shard);
    if (!next) return shard;
    const [saved] = await tenants.saveShards([{ before: shard, after: next }]);
    return saved;
  }, ATTEMPTS);
}

/**
 * Generation before attach: persists generation + 1 issued to `node` (its location marked unknown
 * while the attach is in flight) and returns the shard as saved. Nothing may use the new number
 * before this returns.
 */
export function issueGeneration(
  tenants: TenantStore,
  id: TenantShardId,
  node: number,
  known?: TenantShard,
): Promise<TenantShard | undefined> {
  return updateShard(
    tenants,
    id,
    (s) => ({
      ...s,
      generation: s.generation + 1,
      generationPageserver: node,
      observed: { ...s.observed, [String(node)]: null },
    }),
    known,
  );
}

/** Records what a pageserver confirmed; null forgets the node (it holds nothing). */
export function recordObserved(
  tenants: TenantStore,
  id: TenantShardId,
  node: number,
  conf: LocationConfig | null,
  extra: (shard: TenantShard) => Partial<TenantShard> = () => ({}),
): Promise<TenantShard | undefined> {
  return updateShard(tenants, id, (s) => {
    const observed = { ...s.observed };
    if (conf) observed[String(node)] = conf;
    else delete observed[String(node)];
    return { ...s, ...extra(s), observed };
  });
}
