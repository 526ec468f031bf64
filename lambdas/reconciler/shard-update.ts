// Read-modify-write of one shard: each attempt re-reads the latest version and applies only its
// own change, so a lost race never overwrites someone else's update.

import { forEachLimited } from '../core/concurrency';
import { VersionConflictError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import type { LocationConfig } from '../core/model/location-config';
import { issueTo, withoutSending, withSending } from '../core/model/sending';
import type { TenantShard } from '../core/model/tenant-shard';
import type { TenantStore } from '../core/ports';
import { retryOnConflict } from '../core/retry';
import { TransientError } from '../core/workflow-errors';

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
 * Generation before attach: persists the generation issued to `node` (core/model/sending.ts
 * `issueTo`: the next one, or the same while a call in it may still land there) and returns the
 * shard as saved. Nothing may use the number before this returns.
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
    (s) => {
      const issued = issueTo(s, node);
      if ('elsewhere' in issued)
        throw new TransientError(
          `a call in generation ${s.generation} may still reach node ${issued.elsewhere}: no newer generation until it is done`,
        );
      return issued.shard;
    },
    known,
  );
}

/**
 * Marks a call carrying `generation` as on its way to `node` (core/model/sending.ts), if that is
 * still the shard's newest and issued there; otherwise the send guard abandons the call anyway.
 */
export function markSending(
  tenants: TenantStore,
  id: TenantShardId,
  node: number,
  generation: number,
): Promise<TenantShard | undefined> {
  return updateShard(tenants, id, (s) =>
    s.generationPageserver === node && s.generation === generation ? withSending(s, node) : null,
  );
}

/** Records what a pageserver confirmed (its call is no longer on its way); null forgets the node. */
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
    return { ...withoutSending(s, node), ...extra(s), observed };
  });
}

/** Shards read per call (BatchGet's limit). */
const READ_PAGE = 100;
/**
 * Shards written per group: a whole page. Most changes in a pass write the shard alone (a
 * re-attach: a new generation, the same memberships), so a page is one transaction; where they
 * also write memberships the store splits the group at DynamoDB's 100 actions.
 */
const WRITE_GROUP = 100;
/** Pages worked on at once. */
const PAGE_CONCURRENCY = 2;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `updateShard` for many shards at once, for passes over a node or the fleet: the shards are read
 * 100 to a call and the changes written many to a transaction, reading each shard once. A group
 * whose write loses a race (a shard written meanwhile) is applied shard by shard from fresh reads,
 * so nothing anyone else wrote is lost. `saved` hears of each shard written, with the shard as
 * read for that write; returns the ids that have no shard.
 */
export async function updateShardsInPages(
  tenants: TenantStore,
  ids: readonly TenantShardId[],
  change: (shard: TenantShard) => TenantShard | null,
  saved: (after: TenantShard, before: TenantShard) => void = () => undefined,
): Promise<TenantShardId[]> {
  const missing: TenantShardId[] = [];
  await forEachLimited(chunks(ids, READ_PAGE), PAGE_CONCURRENCY, async (page) => {
    const read = await tenants.getShards(page);
    const found = new Set(read.map((s) => formatTenantShardId(s.id)));
    missing.push(...page.filter((id) => !found.has(formatTenantShardId(id))));
    missing.push(...(await updateReadShards(tenants, read, change, saved)));
  });
  return missing;
}

/**
 * updateShardsInPages for shards already read (`read`, the base of each change). Returns the ids
 * of those found gone when a lost race made it read them again.
 */
export async function updateReadShards(
  tenants: TenantStore,
  read: readonly TenantShard[],
  change: (shard: TenantShard) => TenantShard | null,
  saved: (after: TenantShard, before: TenantShard) => void = () => undefined,
): Promise<TenantShardId[]> {
  const missing: TenantShardId[] = [];
  const changes = read.flatMap((before) => {
    const after = change(before);
    return after ? [{ before, after }] : [];
  });
  for (const group of chunks(changes, WRITE_GROUP)) {
    try {
      const written = await tenants.saveShards(group);
      for (const [i, after] of written.entries()) saved(after, group[i]!.before);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Each shard again from what it is now (one the transaction did write, if the store
      // split it, is changed once more from its new state).
      await forEachLimited(group, 8, async ({ before }) => {
        let base: TenantShard | undefined;
        const after = await updateShard(tenants, before.id, (s) => {
          base = s;
          return change(s);
        });
        if (!after) missing.push(before.id);
        else if (base && after.version > base.version) saved(after, base);
      });
    }
  }
  return missing;
}
