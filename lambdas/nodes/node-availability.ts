// What follows a node going Offline or coming back. Offline: what it holds becomes unknown and
// its attached shards move (a schedulable secondary is promoted first). Active: shards whose
// state there is unknown are reconciled. Nothing moves back by itself.
import { type AppContext, within } from '../app/context';
import { executionName, executionNamePrefix } from '../core/execution-names';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { isPinned } from '../core/model/placement-policy';
import { sameObserved, type TenantShard } from '../core/model/tenant-shard';
import { notifyOffline, ScheduleError, Scheduler, schedulerNode } from '../core/scheduler';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';
import { updateShardsInPages } from '../reconciler/shard-update';
import { waitForExecution } from '../workflows/wait-execution';

/** Marks what the node holds as unknown and moves its attached shards; returns the moved shards. */
export async function evacuateNode(context: AppContext, nodeId: number): Promise<TenantShardId[]> {
  const key = String(nodeId);
  const ids = (await context.tenants.nodeMemberships(nodeId)).map((m) => m.id);
  // One scheduler for the pass: it tracks the placements it makes, so the moved shards spread.
  const scheduler = new Scheduler((await context.nodes.list()).map(schedulerNode));
  const moved = new Map<string, TenantShardId>();
  const evacuated = (shard: TenantShard): TenantShard | null => {
    const observed = { ...shard.observed };
    if (key in observed) observed[key] = null;
    let intent = shard.intent;
    // A pinned shard (Pause, Stop) keeps its placement even now: it waits for its node.
    if (intent.attached === nodeId && !isPinned(shard.schedulingPolicy)) {
      try {
        intent = scheduler.schedule({ ...shard, intent: notifyOffline(intent, nodeId).intent }).intent;
      } catch (error) {
        if (!(error instanceof ScheduleError)) throw error;
        // Nowhere else to go: the attachment stays, so the shard is whole again the moment
        // its node returns (demoting it would leave it unavailable even then).
        context.metrics.schedulingErrors.inc();
      }
    }
    if (intent === shard.intent && sameObserved(observed, shard.observed)) return null;
    return { ...shard, observed, intent };
  };
  await updateShardsInPages(context.tenants, ids, evacuated, (after, before) => {
    if (before.intent.attached === nodeId && after.intent.attached !== nodeId)
      moved.set(formatTenantShardId(after.id), after.id);
  });
  return [...moved.values()];
}

/**
 * A node marked Offline. If its pageserver still answers (an operator evacuating it), each shard
 * attached there moves by live migration, as an operator's migrate would; otherwise the shards
 * move at once and are attached elsewhere in new generations.
 */
export async function nodeWentOffline(context: AppContext, nodeId: number, owner: string): Promise<void> {
  const node = await context.nodes.get(nodeId);
  const alive = node
    ? await context.pageservers.listLocationConfigs(node, 2_000).then(
        () => true,
        () => false,
      )
    : false;
  if (alive) {
    const attached = (await context.tenants.nodeMemberships(nodeId)).filter((m) => m.attached);
    const scheduler = new Scheduler((await context.nodes.list()).map(schedulerNode));
    // An evacuation of a shard to the same node that is still running (a repeated Offline) is
    // joined, not doubled; a finished one is no reason to skip a new one.
    const running = await context.workflows.list({ status: 'RUNNING', limit: 1000 });
    const started: string[] = [];
    for (const { id } of attached) {
      const shard = await context.tenants.getShard(id);
      if (!shard || shard.intent.attached !== nodeId || isPinned(shard.schedulingPolicy)) continue;
      let destination: number | null;
      try {
        destination = scheduler.schedule({ ...shard, intent: notifyOffline(shard.intent, nodeId).intent })
          .intent.attached;
      } catch (error) {
        if (!(error instanceof ScheduleError)) throw error;
        context.metrics.schedulingErrors.inc();
        continue;
      }
      if (destination === null) continue;
      const tsid = formatTenantShardId(id);
      const prefix = executionNamePrefix('evacuate', [tsid, destination]);
      const joined = running.find((e) => e.workflow === 'migrate' && e.name.startsWith(prefix));
      if (joined) {
        started.push(joined.id);
        continue;
      }
      const { id: execution } = await context.workflows.start(
        'migrate',
        executionName('evacuate', [tsid, destination]),
        { shard: tsid, node_id: destination, deadline: Date.now() + 5 * 60_000 },
      );
      started.push(execution);
    }
    const deadline = within(context, context.inlineReconcileMs);
    await Promise.all(
      started.map((execution) =>
        waitForExecution(context.workflows, execution, Math.max(0, deadline - Date.now())),
      ),
    );
  }
  // Whatever is still on the node (all of it, if the node is dead) becomes unknown and moves now.
  const moved = await evacuateNode(context, nodeId);
  await reconcileInline(moved, reconcileDeps(context, owner), within(context, context.inlineReconcileMs));
}

export async function nodeCameBack(context: AppContext, nodeId: number, owner: string): Promise<void> {
  const key = String(nodeId);
  const observed = (await context.tenants.nodeMemberships(nodeId)).filter((m) => m.observed);
  const shards = await context.tenants.getShards(observed.map((m) => m.id));
  const unknown = shards.filter((s) => s.observed[key] === null).map((s) => s.id);
  await reconcileInline(unknown, reconcileDeps(context, owner), within(context, context.inlineReconcileMs));
}
