import type { Tenant } from '../core/model/tenant';
import type { TenantShard } from '../core/model/tenant-shard';
import type { TenantStore } from '../core/ports';

/** Every tenant with its shards (debug and consistency views; reads the whole fleet). */
export async function allTenants(
  tenants: TenantStore,
): Promise<Array<{ tenant: Tenant; shards: TenantShard[] }>> {
  const out: Array<{ tenant: Tenant; shards: TenantShard[] }> = [];
  let after: string | undefined;
  do {
    const page = await tenants.listTenants(200, after);
    for (const t of page.tenants) {
      const current = await tenants.getTenantWithShards(t.tenantId);
      if (current) out.push(current);
    }
    after = page.next;
  } while (after);
  return out;
}
