// Workflow executions hold leases under their own name. An execution that is gone (a controller
// crash locally; a timeout or a manual stop on AWS) would keep its lease until it expires, which
// for a migration is many minutes: whoever finds such a lease may release it on the dead holder's
// behalf and carry on, since nothing runs under it any more.
import type { AppContext } from '../app/context';
import { isExecutionOwner } from '../core/leases';

/** Whether a workflow execution with this name is running now. */
export async function executionRunning(
  context: Pick<AppContext, 'workflows'>,
  name: string,
): Promise<boolean> {
  const running = await context.workflows.list({ status: 'RUNNING', limit: 1000 });
  return running.some((e) => e.name === name);
}

/**
 * Releases the lease if its holder is an execution that no longer runs; true if the lease is
 * free now (or was already). Other holders (API requests, reconciles) are left to expire: their
 * leases are short.
 */
export async function releaseIfHolderDead(
  context: Pick<AppContext, 'workflows' | 'leases' | 'log'>,
  tenantId: string,
  leaseName: string,
): Promise<boolean> {
  const holder = await context.leases.holder(tenantId, leaseName);
  if (!holder) return true;
  if (!isExecutionOwner(holder.owner)) return false;
  if (await executionRunning(context, holder.owner)) return false;
  await context.leases.release(tenantId, leaseName, holder.owner);
  context.log.warn('released the lease of an execution that no longer runs', {
    tenant: tenantId,
    lease: leaseName,
    holder: holder.owner,
  });
  return true;
}
