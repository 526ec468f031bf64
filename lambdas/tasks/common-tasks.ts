// Tasks shared by workflows: tenant leases and turning a caught error back into a failure.
import type { Services } from '../api/services';
import { LeaseBusyError, WorkflowFailure } from '../core/task-errors';

const OPERATION_LEASE = 'OPERATION';

export const commonTasks = {
  AcquireTenantLease: async (
    input: { tenant_id: string; owner: string; ttl_seconds: number },
    services: Services,
  ) => {
    if (
      !(await services.leases.acquire(
        input.tenant_id,
        OPERATION_LEASE,
        input.owner,
        input.ttl_seconds * 1000,
      ))
    ) {
      throw new LeaseBusyError(`tenant ${input.tenant_id} is busy with another operation`);
    }
    return null;
  },
  ReleaseTenantLease: async (input: { tenant_id: string; owner: string }, services: Services) => {
    await services.leases.release(input.tenant_id, OPERATION_LEASE, input.owner);
    return null;
  },
  /** Ends an execution that took its Catch path with the error it caught. */
  RaiseFailure: async (input: { error?: { Error?: string; Cause?: string } }) => {
    throw new WorkflowFailure(input.error?.Error ?? 'Failed', input.error?.Cause ?? 'the workflow failed');
  },
};
