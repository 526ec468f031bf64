// The background optimizer's two steps in reconcile-all (after a pass that found no other work):
// plan (reads only: the nodes, then the fleet a page at a time until enough is planned) and apply
// (a bounded number of the planned steps, each re-checked against the shard as it is now).
// Attachment moves run as migrate executions named for the optimizer (waited for while the task's
// time lasts); secondary changes are intent writes on the version planned from, reconciled at once.
import type { AppContext } from '../app/context';
import { VersionConflictError } from '../core/errors';
import { executionName, executionNamePrefix } from '../core/execution-names';
import { formatTenantShardId, parseTenantShardId } from '../core/ids';
import { maySchedule } from '../core/model/node';
import type { Intent, TenantShard } from '../core/model/tenant-shard';
import { OPTIMIZER_APPLY_LIMIT, type Optimization, OptimizerPlanner } from '../core/optimizer';
import { fleetFingerprint, nextReading, type QuietReading, stillSettled } from '../core/optimizer-quiet';
import { schedulerNode } from '../core/scheduler';
import { reconcileDeps, reconcileShard } from '../reconciler/reconcile-shard';
import { waitForExecution } from '../workflows/wait-execution';

/** Tenants read per page while planning. */
const PLAN_PAGE = 100;
/** Time left in the task below which planning stops and returns what it has. */
const PLAN_MARGIN_MS = 3_000;
/** How long an optimizer migration's destination may take to catch up. */
const CATCH_UP_BUDGET_MS = 5 * 60_000;

/**
 * Per store (one per table and process; a Lambda container keeps it between invocations): how far
 * the optimizer's quiet reading of the fleet got. Kept in memory only: a pass that plans nothing
 * writes nothing, and a cold start simply reads the fleet once more.
 */
const readings = new WeakMap<object, QuietReading>();

export async function planOptimizationPass(context: AppContext): Promise<Optimization[]> {
  // A drain, fill or node deletion moves shards by its own plan: the optimizer waits for it to end
  // rather than move the same shards another way meanwhile.
  if (await context.operations.get()) return [];
  const began = Date.now();
  const { nodes: nodeList, homeShardsByAz: homes } = await context.nodes.listWithHomes();
  const nodes = nodeList.map(schedulerNode);
  if (nodes.filter((n) => n.maySchedule).length < 2) return [];
  const fingerprint = fleetFingerprint(nodes, homes);
  const reading = readings.get(context.tenants);
  if (reading?.kind === 'settled' && stillSettled(reading, fingerprint, began)) return [];
  // A fleet too large to read in one task is read on from where the last quiet pass stopped.
  const resumed = reading?.kind === 'partial' && reading.fingerprint === fingerprint ? reading : null;
  const planner = new OptimizerPlanner(nodes);
  let cursor = resumed?.cursor;
  do {
    const page = await context.tenants.listTenantsWithShards(PLAN_PAGE, cursor);
    for (const { shards } of page.tenants) planner.considerTenant(shards);
    cursor = page.next;
  } while (cursor && !planner.full && Date.now() < context.deadline - PLAN_MARGIN_MS);
  readings.set(context.tenants, nextReading(planner.settled, fingerprint, resumed?.at ?? began, cursor));
  return planner.planned;
}

export type ApplyOutcome = 'applied' | 'changed' | 'not-warm' | 'failed';

function intentAfter(shard: TenantShard, step: Exclude<Optimization, { kind: 'migrate' }>): Intent {
  const { attached, secondary } = shard.intent;
  switch (step.kind) {
    case 'create-secondary':
      return { attached, secondary: [...secondary, step.node] };
    case 'replace-secondary':
      return { attached, secondary: secondary.map((n) => (n === step.from ? step.to : n)) };
    case 'remove-secondary':
      return { attached, secondary: secondary.filter((n) => n !== step.node) };
  }
}

/**
 * Applies planned steps in order until `limit` are applied or the deadline nears. A step whose
 * shard changed since planning is dropped (the next pass plans again from what is there).
 */
export async function applyOptimizations(
  context: AppContext,
  steps: Optimization[],
  execution: string,
  limit = OPTIMIZER_APPLY_LIMIT,
): Promise<{ applied: number; outcomes: Array<{ shard: string; kind: string; outcome: ApplyOutcome }> }> {
  const shards = new Map(
    (await context.tenants.getShards(steps.map((s) => parseTenantShardId(s.shard)))).map((s) => [
      formatTenantShardId(s.id),
      s,
    ]),
  );
  // Run again after a failure, the task must not start a second migration for a step.
  const running = steps.some((s) => s.kind === 'migrate')
    ? (await context.workflows.list({ status: 'RUNNING', limit: 1000 })).filter(
        (e) => e.workflow === 'migrate',
      )
    : [];
  const outcomes: Array<{ shard: string; kind: string; outcome: ApplyOutcome }> = [];
  const started: string[] = [];
  let applied = 0;
  for (const step of steps) {
    if (applied >= limit || Date.now() >= context.deadline - PLAN_MARGIN_MS) break;
    const shard = shards.get(step.shard);
    let outcome: ApplyOutcome;
    if (!shard || shard.version !== step.version || shard.splitting) outcome = 'changed';
    else if (step.kind === 'migrate')
      outcome = running.some((e) => e.name.startsWith(executionNamePrefix('optimize', [step.shard, step.to])))
        ? 'changed'
        : await startMigration(context, shard, step, started);
    else outcome = await changeSecondaries(context, shard, step, execution);
    if (outcome === 'applied') {
      applied += 1;
      // One step per shard per pass: the shard's version moves on with this one.
      shards.delete(step.shard);
    }
    outcomes.push({ shard: step.shard, kind: step.kind, outcome });
  }
  // The pass ends once its migrations have (or the task's time is up): the next pass then sees
  // where they left the shards, and a caller of a pass sees the fleet settled.
  const waitMs = context.deadline - PLAN_MARGIN_MS - Date.now();
  await Promise.all(started.map((id) => waitForExecution(context.workflows, id, Math.max(0, waitMs))));
  return { applied, outcomes };
}

/** The destination must be a warm secondary (its download done) before the attachment moves. */
async function startMigration(
  context: AppContext,
  shard: TenantShard,
  step: Extract<Optimization, { kind: 'migrate' }>,
  started: string[],
): Promise<ApplyOutcome> {
  if (shard.intent.attached !== step.from || !shard.intent.secondary.includes(step.to)) return 'changed';
  const node = await context.nodes.get(step.to);
  // A node that stopped taking work (offline, draining, paused) since planning is not moved to.
  if (!node || !maySchedule(node)) return 'changed';
  try {
    // Answers 200 once the secondary holds everything in the heatmap: the warmth check.
    await context.pageservers.secondaryDownload(node, shard.id);
  } catch {
    return 'not-warm';
  }
  const tsid = formatTenantShardId(shard.id);
  try {
    const { id } = await context.workflows.start('migrate', executionName('optimize', [tsid, step.to]), {
      shard: tsid,
      node_id: step.to,
      deadline: Date.now() + CATCH_UP_BUDGET_MS,
    });
    started.push(id);
  } catch (error) {
    context.log.warn('optimizer migration not started', { shard: tsid, error: (error as Error).message });
    return 'failed';
  }
  return 'applied';
}

async function changeSecondaries(
  context: AppContext,
  shard: TenantShard,
  step: Exclude<Optimization, { kind: 'migrate' }>,
  execution: string,
): Promise<ApplyOutcome> {
  const intent = intentAfter(shard, step);
  try {
    await context.tenants.saveShards([{ before: shard, after: { ...shard, intent } }]);
  } catch (error) {
    if (error instanceof VersionConflictError) return 'changed';
    throw error;
  }
  // Made now rather than on the next pass: the warm secondary is what a later pass moves to.
  await reconcileShard(shard.id, reconcileDeps(context, execution), context.deadline - PLAN_MARGIN_MS);
  return 'applied';
}
