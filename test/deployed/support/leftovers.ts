// After the run: no tenant of this run may be left behind. Each run's tenant ids start with a
// prefix of its own, and the listing is in id order, so one page from just before the prefix
// finds them all. No vitest here: bin/test-deployed.ts calls it once vitest has finished.
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { tenantDescribeOut } from '../../../lambdas/api/response-schemas';
import { call, parsed, shown, type Target } from './target';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 12 hex digits: 20 random ones follow in each tenant id of the run. */
export function newTenantPrefix(): string {
  return randomBytes(6).toString('hex');
}

export async function tenantsWithPrefix(target: Target, prefix: string): Promise<string[]> {
  const first = BigInt(`0x${prefix.padEnd(32, '0')}`);
  const query = first > 0n ? `&start_after=${(first - 1n).toString(16).padStart(32, '0')}` : '';
  const reply = await call(target, 'GET', `/control/v1/tenant?limit=1000${query}`);
  if (reply.status !== 200) throw new Error(`listing tenants: ${shown(reply)}`);
  return parsed(z.array(tenantDescribeOut), reply)
    .map((t) => t.tenant_id)
    .filter((id) => id.startsWith(prefix));
}

/** Deletes a tenant, calling again while the controller answers "still deleting" (409) or 503. */
export async function deleteTenant(target: Target, tenantId: string, budgetMs = 120_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const reply = await call(target, 'DELETE', `/v1/tenant/${tenantId}`);
    if (reply.status === 200) break;
    if ((reply.status !== 409 && reply.status !== 503) || Date.now() > deadline) {
      throw new Error(`deleting tenant ${tenantId}: ${shown(reply)}`);
    }
    await sleep(1_000);
  }
  const gone = await call(target, 'GET', `/control/v1/tenant/${tenantId}`);
  if (gone.status !== 404) throw new Error(`tenant ${tenantId} still described after delete: ${shown(gone)}`);
}

/** Deletes what the run left behind and says what that was (null: nothing). */
export async function removeLeftovers(target: Target, prefix: string): Promise<string | null> {
  const left = await tenantsWithPrefix(target, prefix);
  if (left.length === 0) return null;
  const failed: string[] = [];
  for (const tenantId of left) {
    await deleteTenant(target, tenantId).catch((error: Error) => failed.push(error.message));
  }
  const cleaned = failed.length === 0 ? 'deleted now' : `deleting them failed too: ${failed.join('; ')}`;
  return `the suite left ${left.length} tenant(s) behind (${cleaned}): ${left.join(', ')}`;
}
