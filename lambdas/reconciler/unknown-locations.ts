// Locations a pageserver holds that the controller does not know of would stay for good, since
// nothing reconciles what it does not know: a split parent's secondary on a node that was
// unreachable at commit, a location created by a call whose answer was lost and then forgotten.
// Reconcile-all asks each Active node what it holds and compares with the node's memberships
// (one listing and one partition query per node, no per-shard reads; a node whose heartbeat
// reports exactly its intended count is skipped between full sweeps: core/unknown-listing.ts):
// a shard the table has learns the location as observed, so that its reconcile keeps or detaches
// it by intent; a shard the table does not have is detached, holding its tenant so no create or
// split runs meanwhile.
import type { AppContext } from '../app/context';
import { forEachLimited } from '../core/concurrency';
import { UnavailableError } from '../core/errors';
import { formatTenantShardId, parseTenantShardId, type TenantShardId } from '../core/ids';
import { detachConf, type LocationConfig } from '../core/model/location-config';
import type { PageserverNode } from '../core/model/node';
import { mustList } from '../core/unknown-listing';
import { withTenantOperation } from '../leases/tenant-operation';
import { sendLocationConfig } from './send-location-config';
import { updateShard } from './shard-update';

const LISTING_TIMEOUT_MS = 5_000;
/** A tenant busy with an operation is skipped (the next pass looks again). */
const TENANT_WAIT_MS = 1_000;

export interface UnknownLocations {
  /** Locations of known shards now recorded as observed (their reconcile decides). */
  learned: number;
  /** Locations of shards no tenant has, detached. */
  detached: number;
  /** Nodes that did not answer their listing (looked at again next pass). */
  unlisted: number[];
}

/**
 * Per store (one per table and process; a Lambda container keeps it between invocations): when
 * each node was last listed. In memory only: a cold start lists every node once more.
 */
const listedAt = new WeakMap<object, Map<number, number>>();

export async function findUnknownLocations(context: AppContext, owner: string): Promise<UnknownLocations> {
  const result: UnknownLocations = { learned: 0, detached: 0, unlisted: [] };
  const listed = listedAt.get(context.tenants) ?? new Map<number, number>();
  listedAt.set(context.tenants, listed);
  const now = Date.now();
  const nodes = (await context.nodes.list()).filter(
    (n) => n.availability === 'Active' && mustList(n, listed.get(n.id), now),
  );
  await forEachLimited(nodes, 8, async (node) => {
    let held: Array<[string, LocationConfig | null]>;
    try {
      held = await context.pageservers.listLocationConfigs(node, LISTING_TIMEOUT_MS);
    } catch {
      result.unlisted.push(node.id);
      return;
    }
    listed.set(node.id, now);
    const known = new Set(
      (await context.tenants.nodeMemberships(node.id)).map((m) => formatTenantShardId(m.id)),
    );
    for (const [text, conf] of held) {
      if (known.has(text)) continue;
      const outcome = await settleUnknown(context, node, parseTenantShardId(text), conf, owner);
      if (outcome === 'learned') result.learned += 1;
      if (outcome === 'detached') result.detached += 1;
    }
  });
  return result;
}

async function settleUnknown(
  context: AppContext,
  node: PageserverNode,
  id: TenantShardId,
  conf: LocationConfig | null,
  owner: string,
): Promise<'learned' | 'detached' | 'left'> {
  const key = String(node.id);
  // The listing came before the membership query: the shard may have been placed here since.
  let learned = false;
  const shard = await updateShard(context.tenants, id, (s) => {
    learned =
      !s.splitting &&
      s.intent.attached !== node.id &&
      !s.intent.secondary.includes(node.id) &&
      !(key in s.observed);
    return learned ? { ...s, observed: { ...s.observed, [key]: conf } } : null;
  });
  if (shard && learned) {
    context.log.warn('learned a location the controller did not know', {
      shard: formatTenantShardId(id),
      node: node.id,
    });
    return 'learned';
  }
  if (shard) return 'left';
  try {
    return await withTenantOperation(
      context,
      id.tenantId,
      owner,
      async () => {
        if (await context.tenants.getShard(id)) return 'left';
        await sendLocationConfig(
          context,
          node,
          id,
          detachConf({ number: id.number, count: id.count, stripeSize: 0 }, {}),
        );
        context.log.warn('detached a location no tenant has', {
          shard: formatTenantShardId(id),
          node: node.id,
        });
        return 'detached';
      },
      { waitMs: TENANT_WAIT_MS, ttlMs: 30_000 },
    );
  } catch (error) {
    if (error instanceof UnavailableError) return 'left';
    context.log.warn('could not detach a location no tenant has', {
      shard: formatTenantShardId(id),
      node: node.id,
      error: (error as Error).message,
    });
    return 'left';
  }
}
