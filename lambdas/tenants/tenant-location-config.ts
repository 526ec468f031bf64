// location_config on the virtual pageserver: the control plane imports a tenant (with the
// generation it last used), attaches it, makes it secondary or detaches it. The resulting policy
// is persisted (the original kept it in memory only).
import { type AppContext, within } from '../app/context';
import { BadRequestError } from '../core/errors';
import { DEFAULT_STRIPE_SIZE } from '../core/ids';
import { isAttachedMode, type LocationMode, type TenantConfig } from '../core/model/location-config';
import type { PlacementPolicy } from '../core/model/placement-policy';
import type { Tenant } from '../core/model/tenant';
import type { TenantShard } from '../core/model/tenant-shard';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';
import { createTenant } from './create-tenant';
import { rescheduleTenant } from './reschedule-tenant';

/** How long location_config waits for reconciles; failures are not the caller's (still 200). */
const WAIT_MS = 5_000;

export interface LocationConfigRequest {
  mode: LocationMode;
  generation: number | null;
  config: TenantConfig;
  owner: string;
}

export async function tenantLocationConfig(
  context: AppContext,
  tenantId: string,
  request: LocationConfigRequest,
): Promise<TenantShard[]> {
  const existing = await context.tenants.getTenant(tenantId);
  let shards: TenantShard[];
  if (!existing) {
    if (!isAttachedMode(request.mode)) throw new BadRequestError('Imported tenant must be in attached mode');
    if (request.generation === null)
      throw new BadRequestError('Generation is mandatory when importing tenant');
    shards = await createTenant(
      context,
      {
        tenantId,
        generation: request.generation,
        shardCount: 0,
        stripeSize: DEFAULT_STRIPE_SIZE,
        policy: { kind: 'Attached', secondaries: 0 },
        config: request.config,
      },
      () => context.metrics.schedulingErrors.inc(),
    );
  } else {
    const nodeCount = (await context.nodes.list()).length;
    // Decided against the tenant as each attempt reads it: an attached tenant keeps whatever
    // attached policy it has now, not the one it had when this request began.
    const policyFor = (current: Tenant): PlacementPolicy => {
      if (request.mode === 'Detached') return { kind: 'Detached' };
      if (request.mode === 'Secondary') return { kind: 'Secondary' };
      if (current.policy.kind === 'Attached') return current.policy;
      // Re-attaching: keep a warm secondary when there is somewhere to put it.
      return { kind: 'Attached', secondaries: nodeCount > 1 ? 1 : 0 };
    };
    // The request's generation is ignored for known tenants: ours is authoritative.
    ({ shards } = await rescheduleTenant(
      context,
      tenantId,
      (current) => ({ policy: policyFor(current), config: request.config }),
      () => context.metrics.schedulingErrors.inc(),
    ));
  }
  await reconcileInline(
    shards.map((s) => s.id),
    reconcileDeps(context, request.owner),
    within(context, Math.min(WAIT_MS, context.inlineReconcileMs)),
  );
  return (await context.tenants.getTenantWithShards(tenantId))?.shards ?? shards;
}
