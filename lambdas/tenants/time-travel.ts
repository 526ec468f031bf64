// Time travel: roll a detached tenant's remote storage back, for every shard layout it has had
// (the shard count is part of each shard's storage prefix).
import type { AppContext } from '../app/context';
import { BadRequestError, ConflictError, InternalError } from '../core/errors';
import { formatTenantShardId, shardsOfCount } from '../core/ids';
import { ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { withTenantOperation } from '../leases/tenant-operation';

function parseTime(value: string | undefined, name: string): Date {
  const date = value === undefined ? new Date(Number.NaN) : new Date(value);
  // RFC 3339 with a date and a time; Date alone accepts too much.
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new BadRequestError(`Invalid time for ${name}: ${value === undefined ? 'missing' : `'${value}'`}`);
  }
  return date;
}

export async function timeTravel(
  context: AppContext,
  tenantId: string,
  travelTo: string | undefined,
  doneIfAfter: string | undefined,
  shardCounts: number[],
  owner: string,
): Promise<void> {
  const to = parseTime(travelTo, 'travel_to');
  const after = parseTime(doneIfAfter, 'done_if_after');
  if (to > after) throw new BadRequestError('travel_to must not be later than done_if_after');
  // As the tenant's only operation: nothing may attach it while its storage is being rolled back.
  await withTenantOperation(context, tenantId, owner, () =>
    travel(context, tenantId, travelTo!, doneIfAfter!, shardCounts),
  );
}

async function travel(
  context: AppContext,
  tenantId: string,
  travelTo: string,
  doneIfAfter: string,
  shardCounts: number[],
): Promise<void> {
  const current = await context.tenants.getTenantWithShards(tenantId);
  for (const shard of current?.shards ?? []) {
    if (shard.intent.attached !== null || shard.intent.secondary.length > 0) {
      throw new ConflictError(
        `Tenant ${tenantId} must be detached before time travel (shard ${formatTenantShardId(shard.id)} is placed)`,
      );
    }
    for (const [node, conf] of Object.entries(shard.observed)) {
      if (conf === null || conf.mode !== 'Detached') {
        throw new ConflictError(
          `Tenant ${tenantId} is still present on node ${node}; wait for the detach to finish`,
        );
      }
    }
  }
  let nodeId: number;
  try {
    const scheduler = new Scheduler((await context.nodes.list()).map(schedulerNode));
    nodeId = scheduler.schedule({
      intent: { attached: null, secondary: [] },
      policy: { kind: 'Attached', secondaries: 0 },
      schedulingPolicy: 'Active',
    }).intent.attached!;
  } catch (error) {
    if (error instanceof ScheduleError) throw new ConflictError(`Scheduling error: ${error.message}`);
    throw error;
  }
  const node = (await context.nodes.get(nodeId))!;
  for (const count of [...new Set(shardCounts)].sort((a, b) => a - b)) {
    for (const id of shardsOfCount(tenantId, count)) {
      try {
        await context.pageservers.timeTravel(node, id, travelTo, doneIfAfter);
      } catch (error) {
        throw new InternalError(
          `Error doing time travel recovery for shard ${formatTenantShardId(id)} on node ${node.id}: ${(error as Error).message}`,
        );
      }
    }
  }
}
