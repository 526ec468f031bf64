// A migration's abort (its Catch path): one attached location left, in the newest generation.
import type { AppContext } from '../../app/context';
import { parseTenantShardId } from '../../core/ids';
import { isSendingTo } from '../../core/model/sending';
import type { Intent } from '../../core/model/tenant-shard';
import { retryOnConflict } from '../../core/retry';
import { ScheduleError, Scheduler, schedulerNode } from '../../core/scheduler';
import { TransientError } from '../../core/workflow-errors';
import { reconcileDeps, reconcileShard } from '../../reconciler/reconcile-shard';
import { type MigrationState, releaseMigration, shardOf } from './steps';

/**
 * Abort: leave exactly one attached location, in the newest generation. The attachment goes
 * back to the origin if it is alive (else stays on the destination; it always stays once the
 * cut-over is done); the other location's state
 * is marked unknown, and a reconcile attaches the chosen node in a fresh generation and detaches
 * the other.
 */
export async function abortMigration(
  context: AppContext,
  state: MigrationState,
): Promise<{ attached: number | null }> {
  let chosen: number | null = null;
  await retryOnConflict(async () => {
    const shard = await shardOf(context, state.shard);
    const placed = shard.intent.attached;
    if (placed !== null && placed !== state.node_id && placed !== state.origin) {
      // Placed elsewhere meanwhile (a failover, a node deletion): that placement stands; what the
      // migration left on its two nodes is settled by the reconcile.
      chosen = placed;
      const observed = { ...shard.observed };
      for (const n of [state.origin, state.node_id])
        if (n !== null && String(n) in observed) observed[String(n)] = null;
      await context.tenants.saveShards([{ before: shard, after: { ...shard, observed } }]);
      return;
    }
    const origin = state.origin === null ? undefined : await context.nodes.get(state.origin);
    // Past the cut-over (a later step failed), the destination is the sole holder in the newest
    // generation: it stays, rather than move back in yet another generation.
    const atDestination = shard.observed[String(state.node_id)];
    const cutOver =
      shard.generationPageserver === state.node_id &&
      atDestination?.mode === 'AttachedSingle' &&
      atDestination.generation === shard.generation;
    // A failed attach there may still land: the destination keeps it (in that same generation)
    // rather than the origin get a newer one the late call would then contradict.
    const mayLand = isSendingTo(shard, state.node_id);
    chosen = !cutOver && !mayLand && origin && origin.availability === 'Active' ? origin.id : state.node_id;
    const other = chosen === state.node_id ? state.origin : state.node_id;
    const observed = { ...shard.observed };
    for (const n of [chosen, other])
      if (n !== null && String(n) in observed && !(cutOver && n === chosen)) observed[String(n)] = null;
    // The policy's secondaries are kept: the scheduler refills what the migration took (the
    // other node may well be the one that failed, so it gets no preference).
    const secondary = shard.intent.secondary.filter((n) => n !== chosen && n !== other);
    let intent: Intent = { attached: chosen, secondary };
    try {
      const nodes = await context.nodes.list();
      intent = new Scheduler(nodes.map(schedulerNode)).schedule({ ...shard, intent }).intent;
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
    }
    await context.tenants.saveShards([{ before: shard, after: { ...shard, intent, observed } }]);
  }, 20);
  await releaseMigration(context, state);
  const outcome = await reconcileShard(
    parseTenantShardId(state.shard),
    reconcileDeps(context, state.execution),
    context.deadline,
  );
  // The abort is done once one location is attached in the newest generation; a secondary that
  // could not be made yet is reconcile-all's to finish.
  if (
    outcome.status !== 'ok' &&
    outcome.status !== 'busy' &&
    !(await attachmentSettled(context, state.shard))
  ) {
    throw new TransientError(
      `abort could not settle ${state.shard}: ${'message' in outcome ? outcome.message : outcome.status}`,
    );
  }
  return { attached: chosen };
}

/** Exactly one observed attached location, the intended one, in the shard's newest generation. */
async function attachmentSettled(context: AppContext, shardText: string): Promise<boolean> {
  const shard = await context.tenants.getShard(parseTenantShardId(shardText));
  if (!shard || shard.intent.attached === null) return false;
  const attached = Object.entries(shard.observed).filter(
    ([, conf]) => conf && conf.mode !== 'Secondary' && conf.mode !== 'Detached',
  );
  const mine = shard.observed[String(shard.intent.attached)];
  return attached.length === 1 && mine?.mode === 'AttachedSingle' && mine.generation === shard.generation;
}
