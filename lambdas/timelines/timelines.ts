// Timeline create and delete fan out over the tenant's shards. Create goes to shard zero first
// (it fixes the branch point LSN for the others); delete does the others first and shard zero
// last, so that a GET (answered by shard zero) sees the timeline until it is gone everywhere.

import type { AppContext } from '../app/context';
import { ApiError, ConflictError, InternalError, PageserverError, UnavailableError } from '../core/errors';
import { formatTenantShardId } from '../core/ids';
import type { PageserverTimeline } from '../core/ports';
import { withTenantOperation } from '../leases/tenant-operation';
import { type AttachedShard, ensureAttached, refuseWhileSplitting } from '../tenants/ensure-attached';

class PassThroughError extends ApiError {
  override name = 'PassThroughError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Keeps the meaning of the pageserver's answer: 409 and 406 are the caller's, others are ours. */
function timelineError(error: unknown, what: string): Error {
  if (error instanceof PageserverError) {
    if (error.status === 409) return new ConflictError(`Failed to create timeline: ${error.message}`);
    if (error.status === 406) return new PassThroughError(406, `${what}: ${error.message}`);
    if (error.status === 400) return new PassThroughError(400, `${what}: ${error.message}`);
    if (error.status === null || error.transient || error.status === 404) {
      return new UnavailableError(`${what}: ${error.message}`, 1);
    }
  }
  return new InternalError(`${what}: ${(error as Error).message}`);
}

/** Creates the timeline on every shard, as the tenant's only operation (no split or move meanwhile). */
export async function createTimeline(
  context: AppContext,
  tenantId: string,
  request: Record<string, unknown>,
  owner: string,
): Promise<PageserverTimeline> {
  await refuseWhileSplitting(context, tenantId);
  return withTenantOperation(context, tenantId, owner, () =>
    createOnShards(context, tenantId, request, owner),
  );
}

async function createOnShards(
  context: AppContext,
  tenantId: string,
  request: Record<string, unknown>,
  owner: string,
): Promise<PageserverTimeline> {
  const { shards } = await ensureAttached(context, tenantId, owner, owner);
  const [zero, ...others] = shards as [AttachedShard, ...AttachedShard[]];
  let first: PageserverTimeline;
  try {
    first = await context.pageservers.createTimeline(zero.node, zero.shard.id, request);
  } catch (error) {
    throw timelineError(error, `Error creating timeline on shard ${formatTenantShardId(zero.shard.id)}`);
  }
  const rest = { ...request };
  if (request.ancestor_timeline_id && !request.ancestor_start_lsn && first.ancestor_lsn) {
    // Every shard must branch at the LSN shard zero chose.
    rest.ancestor_start_lsn = first.ancestor_lsn;
  }
  const results = await Promise.allSettled(
    others.map(({ shard, node }) => context.pageservers.createTimeline(node, shard.id, rest)),
  );
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      throw timelineError(
        result.reason,
        `Error creating timeline on shard ${formatTenantShardId(others[i]!.shard.id)}`,
      );
    }
  });
  return first;
}

export async function deleteTimeline(
  context: AppContext,
  tenantId: string,
  timelineId: string,
): Promise<'in-progress' | 'done'> {
  await refuseWhileSplitting(context, tenantId);
  // The deletion, not the request, owns the tenant: while a pageserver still deletes (in the
  // generation it holds) the tenant must not move, so the lease outlives an 'in-progress' answer
  // and the caller's retry, whichever request it comes in, takes it back as its own.
  const deletion = `delete-timeline-${tenantId}-${timelineId}`;
  return withTenantOperation(
    context,
    tenantId,
    deletion,
    () => deleteOnShards(context, tenantId, timelineId, deletion),
    { keepWhile: (state) => state === 'in-progress' },
  );
}

async function deleteOnShards(
  context: AppContext,
  tenantId: string,
  timelineId: string,
  owner: string,
): Promise<'in-progress' | 'done'> {
  const { shards } = await ensureAttached(context, tenantId, owner, owner);
  const [zero, ...others] = shards as [AttachedShard, ...AttachedShard[]];
  const deleteOn = async ({ shard, node }: AttachedShard) => {
    try {
      return await context.pageservers.deleteTimeline(node, shard.id, timelineId);
    } catch (error) {
      // A repeat DELETE while the pageserver is busy deleting is progress, not failure.
      if (error instanceof PageserverError && (error.status === 409 || error.status === 412))
        return 'in-progress';
      throw new InternalError(
        `Error deleting timeline ${timelineId} on shard ${formatTenantShardId(shard.id)}: ${(error as Error).message}`,
      );
    }
  };
  const results = await Promise.all(others.map(deleteOn));
  if (results.includes('in-progress')) return 'in-progress';
  return deleteOn(zero);
}
