// Tenant config set (replace) and patch (merge) through the controller (later-features.md H4): the
// config is persisted on the tenant and every shard, then reconciled to every location.
import { type AppContext, within } from '../app/context';
import type { TenantConfig } from '../core/model/location-config';
import { patchTenantConfig } from '../core/model/tenant';
import { reconcileInline } from '../reconciler/reconcile-many';
import { reconcileDeps } from '../reconciler/reconcile-shard';
import { rescheduleTenant } from './reschedule-tenant';

/** `config` replaces the tenant's config, or (as a function of it) says what it becomes. */
export async function changeTenantConfig(
  context: AppContext,
  tenantId: string,
  config: TenantConfig | ((current: TenantConfig) => TenantConfig),
  owner: string,
): Promise<void> {
  const { shards } = await rescheduleTenant(context, tenantId, (tenant) => ({
    config: typeof config === 'function' ? config(tenant.config) : config,
  }));
  // What does not finish in time stays dirty for reconcile-all.
  await reconcileInline(
    shards.map((s) => s.id),
    reconcileDeps(context, owner),
    within(context, context.inlineReconcileMs),
  );
}

export function setTenantConfig(context: AppContext, tenantId: string, config: TenantConfig, owner: string) {
  return changeTenantConfig(context, tenantId, config, owner);
}

export function patchTenantConfigOf(
  context: AppContext,
  tenantId: string,
  patch: TenantConfig,
  owner: string,
) {
  return changeTenantConfig(context, tenantId, (current) => patchTenantConfig(current, patch), owner);
}
