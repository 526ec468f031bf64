// Tasks shared by workflows: the tenant operation lease. (A caught error ends an execution in a
// Fail state, which takes its name and cause from the state's input: no task needed.)
import * as z from 'zod';
import { defineTask } from '../app/task';
import { TENANT_OPERATION_LEASE } from '../core/leases';
import { LeaseBusyError } from '../core/workflow-errors';
import { releaseIfHolderDead } from '../leases/dead-holders';
import {
  acquireTenantOperation,
  reclaimDeadHolders,
  releaseTenantOperation,
} from '../leases/tenant-operation';

/**
 * How long one attempt waits for the shards' reconciles to drain. The state machine retries
 * LeaseBusy with backoff, so a split queues behind a short operation and fails only if the tenant
 * stays busy (a long migration).
 */
const DRAIN_MS = 2_000;

export const commonTasks = [
  defineTask({
    name: 'AcquireTenantLease',
    input: z.looseObject({ tenant_id: z.string(), owner: z.string(), ttl_seconds: z.number().positive() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      // Waits (briefly) for reconciles of the tenant's shards to finish; a migration in flight
      // keeps its shard for longer, and the split is refused rather than run beside it.
      const acquire = () =>
        acquireTenantOperation(
          context.leases,
          input.tenant_id,
          input.owner,
          input.ttl_seconds * 1000,
          DRAIN_MS,
          reclaimDeadHolders(context, input.tenant_id),
        );
      // A holder whose workflow died would keep the tenant until its lease expires.
      const acquired =
        (await acquire()) ||
        ((await releaseIfHolderDead(context, input.tenant_id, TENANT_OPERATION_LEASE)) && (await acquire()));
      if (!acquired)
        throw new LeaseBusyError(`tenant ${input.tenant_id} is busy with another operation or a migration`);
      return null;
    },
  }),
  defineTask({
    name: 'ReleaseTenantLease',
    input: z.looseObject({ tenant_id: z.string(), owner: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      await releaseTenantOperation(context.leases, input.tenant_id, input.owner);
      return null;
    },
  }),
];
