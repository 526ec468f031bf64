// The steps of a shard split, each safe to run twice. Begin persists the children (flagged
// splitting, in the parent's generation, on the parent's node) and flags the parents, in one
// write; the pageservers then split; commit drops the parents; abort removes the children from
// pageservers and the table and makes the parents whole again.

import { type AppContext, within } from '../../app/context';
import { PageserverError } from '../../core/errors';
import { formatTenantShardId, parseTenantShardId, splitChildren } from '../../core/ids';
import { detachConf, type LocationConfig } from '../../core/model/location-config';
import { shardIdentity, type TenantShard } from '../../core/model/tenant-shard';
import { retryOnConflict } from '../../core/retry';
import { type AffinityContext, ScheduleError, Scheduler, schedulerNode } from '../../core/scheduler';
import { planSplit, type SplitPlan, type SplitTarget } from '../../core/split-plan';
import { RejectedError, TransientError, taskErrorFromPageserver } from '../../core/workflow-errors';
import { reconcileInline } from '../../reconciler/reconcile-many';
import { reconcileDeps } from '../../reconciler/reconcile-shard';
import { sendLocationConfig } from '../../reconciler/send-location-config';
import { recordObserved } from '../../reconciler/shard-update';
import { TENANT_WRITE_ATTEMPTS } from '../../tenants/reschedule-tenant';

/** A parent's secondary that does not answer this quickly is left (the startup scan cleans it). */
const PARENT_DETACH_TIMEOUT_MS = 3_000;
/** How long a child's node gets to report what it holds at commit. */
const LISTING_TIMEOUT_MS = 5_000;

export interface BeginSplitInput {
  tenant_id: string;
  new_shard_count: number;
  new_stripe_size?: number | null;
}

export type BeginSplitOutput =
  | { done: true; new_shards: string[] }
  | { done: false; targets: SplitTarget[]; new_shards: string[] };

/** Begin: a repeat after success returns the same plan (the children are already there). */
export async function beginSplit(context: AppContext, input: BeginSplitInput): Promise<BeginSplitOutput> {
  return retryOnConflict(async () => {
    const current = await context.tenants.getTenantWithShards(input.tenant_id);
    if (!current) throw new RejectedError(`Tenant ${input.tenant_id} not found`);
    const children = current.shards.filter((s) => s.id.count === input.new_shard_count);
    const parents = current.shards.filter((s) => s.id.count !== input.new_shard_count);
    if (children.length > 0 && parents.length > 0 && parents.every((p) => p.splitting)) {
      // Begun already (this task is being re-run): hand back the same plan.
      return {
        done: false as const,
        targets: parents.map((p) => ({
          parent: formatTenantShardId(p.id),
          node: p.intent.attached!,
          children: splitChildren(p.id, input.new_shard_count).map(formatTenantShardId),
        })),
        new_shards: children.map((c) => formatTenantShardId(c.id)),
      };
    }
    let plan: SplitPlan;
    try {
      plan = planSplit(current.shards, input.new_shard_count, input.new_stripe_size);
    } catch (error) {
      throw new RejectedError((error as Error).message);
    }
    if (plan.kind === 'done') return { done: true as const, new_shards: plan.newShards };
    const stripeSize = input.new_stripe_size ?? current.tenant.stripeSize;
    const writes: Array<{ before: TenantShard | null; after: TenantShard }> = [];
    for (const target of plan.targets) {
      const parent = current.shards.find((s) => formatTenantShardId(s.id) === target.parent)!;
      writes.push({ before: parent, after: { ...parent, splitting: true } });
      for (const child of target.children) {
        writes.push({
          before: null,
          after: {
            ...parent,
            id: parseTenantShardId(child),
            stripeSize,
            generationPageserver: target.node,
            intent: { attached: target.node, secondary: [] },
            observed: {},
            splitting: true,
            pendingComputeNotification: false,
            lastError: null,
            version: 0,
          },
        });
      }
    }
    await context.tenants.saveShards(writes);
    return { done: false as const, targets: plan.targets, new_shards: plan.newShards };
  }, TENANT_WRITE_ATTEMPTS);
}

/** One parent's split on its pageserver. A repeat after the pageserver already split succeeds. */
export async function splitParent(
  context: AppContext,
  target: SplitTarget,
  newShardCount: number,
  /** Asked before every attempt at the pageserver: false if the split was taken over. */
  stillCurrent?: () => Promise<boolean>,
): Promise<void> {
  const node = await context.nodes.get(target.node);
  if (!node) throw new RejectedError(`node ${target.node} is not registered`);
  // The children's stripe was decided at begin and persisted with them: the pageserver must lay
  // them out by the same stripe that computes will be told.
  const [parent, child] = await Promise.all([
    context.tenants.getShard(parseTenantShardId(target.parent)),
    context.tenants.getShard(parseTenantShardId(target.children[0]!)),
  ]);
  const newStripeSize = child && parent && child.stripeSize !== parent.stripeSize ? child.stripeSize : null;
  if (parent) await detachParentSecondaries(context, parent);
  try {
    const got = await context.pageservers.shardSplit(
      node,
      parseTenantShardId(target.parent),
      newShardCount,
      newStripeSize,
      stillCurrent,
    );
    if (JSON.stringify(got) !== JSON.stringify(target.children)) {
      throw new RejectedError(
        `pageserver ${node.id} split ${target.parent} into ${got.join(', ')}, expected ${target.children.join(', ')}`,
      );
    }
  } catch (error) {
    if (!(error instanceof PageserverError)) throw error;
    // Already split by an earlier attempt whose answer was lost?
    const held = await context.pageservers.listLocationConfigs(node).catch(() => null);
    const names = new Set((held ?? []).map(([id]) => id));
    if (held && !names.has(target.parent) && target.children.every((c) => names.has(c))) return;
    throw taskErrorFromPageserver(error, `Failed to split ${target.parent}`);
  }
}

/**
 * Commit: parents removed, children live and observed attached in the parent's generation, each
 * given the secondaries its policy asks for (reconcile-all creates them). The parents' other
 * locations (their secondaries) are detached first: once the parents are gone from the table,
 * nothing would ever remove them.
 */
export async function commitSplit(
  context: AppContext,
  input: BeginSplitInput,
): Promise<{ new_shards: string[] }> {
  const before = await context.tenants.getTenantWithShards(input.tenant_id);
  if (!before) throw new RejectedError(`Tenant ${input.tenant_id} not found`);
  await detachParentsElsewhere(
    context,
    before.shards.filter((s) => s.id.count !== input.new_shard_count),
  );
  const held = await childLocations(
    context,
    before.shards.filter((s) => s.id.count === input.new_shard_count),
  );
  return retryOnConflict(async () => {
    const current = await context.tenants.getTenantWithShards(input.tenant_id);
    if (!current) throw new RejectedError(`Tenant ${input.tenant_id} not found`);
    const children = current.shards.filter((s) => s.id.count === input.new_shard_count);
    const parents = current.shards.filter((s) => s.id.count !== input.new_shard_count);
    const scheduler = new Scheduler((await context.nodes.list()).map(schedulerNode));
    for (const parent of parents) scheduler.release(parent.intent);
    const affinity: AffinityContext = new Map();
    const withSecondaries = (child: TenantShard): TenantShard => {
      try {
        return { ...child, intent: scheduler.schedule(child, affinity).intent };
      } catch (error) {
        if (!(error instanceof ScheduleError)) throw error;
        // No room for a secondary now: reconcile-all's scheduling adds it later.
        return child;
      }
    };
    const writes = [
      ...parents.map((before) => ({ before, after: null })),
      ...children
        .filter((c) => c.splitting)
        .map((before) => ({
          before,
          after: withSecondaries({
            ...before,
            splitting: false,
            // What the pageserver reports, not what we expect: a re-attach during the split may
            // have moved the generation on; an unknown location is reconciled. A child placed
            // nowhere meanwhile (its node deleted) is observed nowhere: the reconcile places it.
            observed:
              before.intent.attached === null
                ? {}
                : { [String(before.intent.attached)]: held.get(formatTenantShardId(before.id)) ?? null },
          }),
        })),
    ];
    const first = children[0];
    await context.tenants.saveShards(
      writes,
      first && current.tenant.shardCount !== input.new_shard_count
        ? {
            before: current.tenant,
            after: { ...current.tenant, shardCount: input.new_shard_count, stripeSize: first.stripeSize },
          }
        : undefined,
    );
    return { new_shards: children.map((c) => formatTenantShardId(c.id)) };
  }, TENANT_WRITE_ATTEMPTS);
}

/** What each child's node reports for it (absent: not reported, or the node did not answer). */
async function childLocations(
  context: AppContext,
  children: TenantShard[],
): Promise<Map<string, LocationConfig>> {
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  const held = new Map<string, LocationConfig>();
  const nodeIds = [...new Set(children.map((c) => c.intent.attached).filter((n) => n !== null))];
  await Promise.all(
    nodeIds.map(async (nodeId) => {
      const node = nodes.get(nodeId);
      if (!node) return;
      const listed = await context.pageservers.listLocationConfigs(node, LISTING_TIMEOUT_MS).catch(() => []);
      for (const [id, conf] of listed) if (conf) held.set(id, conf);
    }),
  );
  return held;
}

/**
 * Before a parent splits, its locations elsewhere than its attached node (secondaries) go: once
 * the split commits the parent leaves the table and nothing would remove them. A reachable node
 * that fails is retried (the task fails, the state machine retries it, and the split aborts with
 * nothing split if it keeps failing); a node marked Offline is left to commit's last attempt and
 * the startup scan. The parent's intent keeps them, so an aborted split gets them back.
 */
async function detachParentSecondaries(context: AppContext, parent: TenantShard): Promise<void> {
  const elsewhere = new Set([...parent.intent.secondary, ...Object.keys(parent.observed).map(Number)]);
  if (parent.intent.attached !== null) elsewhere.delete(parent.intent.attached);
  for (const nodeId of elsewhere) {
    const node = await context.nodes.get(nodeId);
    if (!node || node.availability === 'Offline') continue;
    try {
      await sendLocationConfig(context, node, parent.id, detachConf(shardIdentity(parent), parent.config), {
        timeoutMs: PARENT_DETACH_TIMEOUT_MS,
      });
    } catch (error) {
      throw new TransientError(
        `could not detach split parent ${formatTenantShardId(parent.id)} from node ${nodeId}: ${(error as Error).message}`,
      );
    }
    await recordObserved(context.tenants, parent.id, nodeId, null);
  }
}

/** Best effort, briefly: a parent location elsewhere than its attached node is detached. */
async function detachParentsElsewhere(context: AppContext, parents: TenantShard[]): Promise<void> {
  const nodes = new Map((await context.nodes.list()).map((n) => [n.id, n]));
  await Promise.all(
    parents.flatMap((parent) => {
      const elsewhere = new Set([...parent.intent.secondary, ...Object.keys(parent.observed).map(Number)]);
      if (parent.intent.attached !== null) elsewhere.delete(parent.intent.attached);
      return [...elsewhere].map(async (nodeId) => {
        const node = nodes.get(nodeId);
        if (!node) return;
        await sendLocationConfig(context, node, parent.id, detachConf(shardIdentity(parent), parent.config), {
          timeoutMs: PARENT_DETACH_TIMEOUT_MS,
        }).catch((error: Error) =>
          context.log.warn('could not detach a split parent location', {
            shard: formatTenantShardId(parent.id),
            node: nodeId,
            error: error.message,
          }),
        );
      });
    }),
  );
}

/**
 * Abort: the tenant works as before. Children are detached from pageservers first (they must
 * not run on), then removed from the table while the parents are unflagged with their location
 * marked unknown, so that a reconcile re-attaches each parent in a new generation.
 */
export async function abortSplit(context: AppContext, input: BeginSplitInput, owner: string): Promise<void> {
  const current = await context.tenants.getTenantWithShards(input.tenant_id);
  if (!current) return;
  const children = current.shards.filter((s) => s.id.count === input.new_shard_count && s.splitting);
  const parents = current.shards.filter((s) => s.id.count !== input.new_shard_count);
  if (parents.length === 0) return; // committed already: nothing to undo
  for (const child of children) {
    const node = child.intent.attached === null ? undefined : await context.nodes.get(child.intent.attached);
    if (!node) continue;
    try {
      await sendLocationConfig(context, node, child.id, detachConf(shardIdentity(child), child.config));
    } catch (error) {
      throw new TransientError(
        `could not detach ${formatTenantShardId(child.id)} from node ${node.id}: ${(error as Error).message}`,
      );
    }
  }
  await retryOnConflict(async () => {
    const latest = await context.tenants.getTenantWithShards(input.tenant_id);
    if (!latest) return;
    const kids = latest.shards.filter((s) => s.id.count === input.new_shard_count && s.splitting);
    const olds = latest.shards.filter((s) => s.id.count !== input.new_shard_count);
    await context.tenants.saveShards([
      ...kids.map((before) => ({ before, after: null })),
      ...olds.map((before) => ({
        before,
        after: {
          ...before,
          splitting: false,
          observed: Object.fromEntries(Object.keys(before.observed).map((n) => [n, null])),
        },
      })),
    ]);
  }, TENANT_WRITE_ATTEMPTS);
  await reconcileInline(
    parents.map((p) => p.id),
    { ...reconcileDeps(context, owner), under: owner },
    within(context, context.inlineReconcileMs),
  );
}
