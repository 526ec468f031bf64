// Tasks of startup reconciliation and its cleanup.
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { STEP_FUNCTIONS } from '../../core/aws-limits';
import { ExecutionAlreadyExistsError } from '../../core/execution-errors';
import { parseTenantShardId } from '../../core/ids';
import { TransientError } from '../../core/workflow-errors';
import { applyScan, cleanupUnknown, notifyAll, placeUnplaced, scanNodes } from './steps';

const unknownLocation = z.object({ shard: z.string(), node: z.number().int() });

export const startupTasks = [
  defineTask({
    name: 'ListNodes',
    input: z.unknown(),
    budgetSeconds: 25,
    table: 'read',
    run: async (_input, context) => ({ nodes: (await context.nodes.list()).map((n) => n.id) }),
  }),
  /** Lists one node's locations (5 s) and applies what it found; a silent node is marked Offline. */
  defineTask({
    name: 'ScanNode',
    input: z.looseObject({ node: z.number().int() }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      const node = await context.nodes.get(input.node);
      if (!node) return { node: input.node, responsive: false, unknown: [] };
      const scan = await scanNodes(context, [node], 5_000);
      const result = await applyScan(context, scan);
      return { node: input.node, responsive: result.responsive.length > 0, unknown: result.unknown };
    },
  }),
  defineTask({
    name: 'PlaceUnplaced',
    input: z.unknown(),
    budgetSeconds: 25,
    table: 'write',
    run: async (_input, context) => ({ placed: await placeUnplaced(context) }),
  }),
  defineTask({
    name: 'NotifyAll',
    input: z.looseObject({ execution: z.string() }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => notifyAll(context, input.execution, context.deadline),
  }),
  defineTask({
    name: 'StartCleanup',
    input: z.looseObject({
      scanned: z.array(z.looseObject({ unknown: z.array(unknownLocation).optional() })),
      execution: z.string(),
    }),
    budgetSeconds: 25,
    table: 'write',
    starts: ['startup-cleanup'],
    run: async (input, context) => {
      const unknown = input.scanned.flatMap((s) => s.unknown ?? []);
      if (unknown.length === 0) return { started: null };
      // One cleanup per startup execution, named after it: when this task runs again (a retry
      // after a timeout), the cleanup it started already is found, running or finished.
      try {
        const { id } = await context.workflows.start(
          'startup-cleanup',
          `cleanup-${input.execution}`.slice(0, STEP_FUNCTIONS.executionNameMaxChars),
          { unknown },
        );
        return { started: id };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExistsError) return { started: error.executionId };
        throw error;
      }
    },
  }),
  defineTask({
    name: 'DetachUnknown',
    input: unknownLocation.loose(),
    budgetSeconds: 25,
    table: 'read',
    run: async (input, context) => {
      if ((await cleanupUnknown(context, [input])) === 0) {
        // Either known after all, or the node did not answer: try again, then give up (next startup retries).
        const id = parseTenantShardId(input.shard);
        if (!(await context.tenants.getShard(id)))
          throw new TransientError(`could not detach ${input.shard} from node ${input.node}`);
      }
      return null;
    },
  }),
  defineTask({
    name: 'MarkReady',
    input: z.looseObject({ epoch: z.string().min(1) }),
    budgetSeconds: 25,
    table: 'write',
    run: async (input, context) => {
      // This epoch becomes the current one, ready (on AWS each deploy's startup brings its own).
      await context.meta.markReady(input.epoch);
      return null;
    },
  }),
];
