// Tasks of startup reconciliation and its cleanup.
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { STEP_FUNCTIONS } from '../../core/aws-limits';
import { ExecutionAlreadyExistsError } from '../../core/execution-errors';
import { parseTenantShardId } from '../../core/ids';
import { TransientError } from '../../core/workflow-errors';
import { announcePages, markUnannounced } from '../../notifications/announce-all';
import { applyScan, cleanupUnknown, placeUnplaced, scanNodes } from './steps';

const unknownLocation = z.object({ shard: z.string(), node: z.number().int() });

/**
 * Unknown locations a scan hands on through the workflow's state, per node: the state must not
 * grow with the fleet. The rest are detached by reconcile-all, which looks for them every pass.
 */
const UNKNOWN_IN_STATE = 20;
/**
 * How long startup announces placements after ready; what it does not reach is marked owed for
 * reconcile-all. Marking a tenant owed costs about what announcing it does (and reconcile-all then
 * costs more), so the budget is generous: about 100 000 tenants on the local stack.
 */
export const ANNOUNCE_BUDGET_MS = 180_000;

const announceProgress = z.object({
  next: z.string().nullable(),
  until: z.number().nullable(),
  notified: z.number().int(),
  notifyFailed: z.number().int(),
  status: z.enum(['running', 'done', 'expired']),
});

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
      return {
        node: input.node,
        responsive: result.responsive.length > 0,
        unknown: result.unknown.slice(0, UNKNOWN_IN_STATE),
        unknownLeft: Math.max(0, result.unknown.length - UNKNOWN_IN_STATE),
      };
    },
  }),
  /** Places a page of the sparse index after another from `cursor` until its deadline nears. */
  defineTask({
    name: 'PlaceUnplaced',
    input: z.looseObject({ cursor: z.string().nullable() }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => placeUnplaced(context, input.cursor),
  }),
  /** Announces pages of tenants until the budget (fixed by the first run) or its deadline nears. */
  defineTask({
    name: 'Announce',
    input: z.looseObject({ progress: announceProgress }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => announcePages(context, input.progress, ANNOUNCE_BUDGET_MS),
  }),
  /** Marks what the announcements did not reach owed, a page after another from `cursor`. */
  defineTask({
    name: 'MarkUnannounced',
    input: z.looseObject({ cursor: z.string().nullable() }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => markUnannounced(context, input.cursor),
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
