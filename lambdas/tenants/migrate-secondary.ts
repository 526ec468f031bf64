// PUT /control/v1/tenant/{tenant_shard_id}/migrate_secondary: the shard's secondary location moves
// to the chosen node. The intent is written (with memberships and node counters, conditioned on
// the version read), then the shard is reconciled inline: the new secondary is created and warmed,
// the old one detached. What the budget does not finish, reconcile-all does.
import { type AppContext, within } from '../app/context';
import { BadRequestError, NotFoundError, UnavailableError } from '../core/errors';
import { formatTenantShardId, type TenantShardId } from '../core/ids';
import { maySchedule } from '../core/model/node';
import { retryOnConflict } from '../core/retry';
import { planSecondaryMove } from '../core/secondary-move';
import { reconcileInline } from '../reconciler/reconcile-many';
import { type ReconcileOutcome, reconcileDeps } from '../reconciler/reconcile-shard';

export async function migrateSecondary(
  context: AppContext,
  id: TenantShardId,
  nodeId: number,
  owner: string,
): Promise<ReconcileOutcome> {
  const name = formatTenantShardId(id);
  const node = await context.nodes.get(nodeId);
  if (!node) throw new NotFoundError('Node not registered');
  if (!maySchedule(node))
    throw new BadRequestError(
      `Node ${node.id} cannot take shards (availability ${node.availability}, scheduling ${node.scheduling})`,
    );
  await retryOnConflict(async () => {
    const shard = await context.tenants.getShard(id);
    if (!shard) throw new NotFoundError('Tenant shard not found');
    if (shard.splitting) throw new UnavailableError('Tenant shards are currently splitting', 5);
    const move = planSecondaryMove(shard, nodeId, name);
    if (move.kind === 'refused') throw new BadRequestError(move.message);
    if (move.kind === 'move')
      await context.tenants.saveShards([{ before: shard, after: { ...shard, intent: move.intent } }]);
  }, 20);
  const [outcome] = await reconcileInline(
    [id],
    reconcileDeps(context, owner),
    within(context, context.inlineReconcileMs),
  );
  return outcome!;
}
