// Tasks shared by workflows: the tenant operation lease, and turning a caught error back into a
// failure.
import * as z from 'zod';
import { defineTask } from '../app/task';
import { TENANT_OPERATION_LEASE } from '../core/leases';
import { LeaseBusyError, WORKFLOW_ERRORS, WorkflowFailure } from '../core/workflow-errors';

export const commonTasks = [
  defineTask({
    name: 'AcquireTenantLease',
    input: z.looseObject({ tenant_id: z.string(), owner: z.string(), ttl_seconds: z.number().positive() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      const acquired = await context.leases.acquire(
        input.tenant_id,
        TENANT_OPERATION_LEASE,
        input.owner,
        input.ttl_seconds * 1000,
      );
      if (!acquired) throw new LeaseBusyError(`tenant ${input.tenant_id} is busy with another operation`);
      return null;
    },
  }),
  defineTask({
    name: 'ReleaseTenantLease',
    input: z.looseObject({ tenant_id: z.string(), owner: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await context.leases.release(input.tenant_id, TENANT_OPERATION_LEASE, input.owner);
      return null;
    },
  }),
  /** Ends an execution that took its Catch path with the error it caught. */
  defineTask({
    name: 'RaiseFailure',
    input: z.looseObject({
      error: z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    }),
    budgetSeconds: 25,
    table: 'none',
    run: async (input) => {
      throw new WorkflowFailure(
        input.error?.Error ?? WORKFLOW_ERRORS.Failed,
        input.error?.Cause ?? 'the workflow failed',
      );
    },
  }),
];
