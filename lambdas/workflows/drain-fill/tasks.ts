// Workflow tasks of drain, fill and graceful delete (statemachines/drain-fill.asl.json): plan a
// round, end the operation. The moves themselves are the live-migration tasks (migrate/tasks.ts).
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { FIRST_ROUND } from '../../core/drain-fill-plan';
import { NODE_OPERATION_KINDS } from '../../core/model/node-operation';
import { continueOperation } from './continue-operation';
import { endOperation } from './end-operation';
import { planRound } from './plan-round';

const progress = z.object({
  round: z.number().int().nonnegative(),
  lastAttached: z.number().int().nonnegative().nullable(),
  stalledRounds: z.number().int().nonnegative(),
  moved: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  movedInExecution: z.number().int().nonnegative(),
});

const operationInput = {
  node_id: z.number().int(),
  kind: z.enum(NODE_OPERATION_KINDS),
  execution: z.string(),
  force: z.boolean(),
  max_lag_bytes: z.number().nonnegative(),
};

export const drainFillTasks = [
  defineTask({
    name: 'PlanNodeMoves',
    input: z.looseObject({ ...operationInput, progress: progress.nullish() }),
    budgetSeconds: 25,
    // Writes only to release leases of executions that are gone.
    table: 'write',
    run: (input, context) => planRound(context, { ...input, progress: input.progress ?? FIRST_ROUND }),
  }),
  /** Hands a long operation over to a fresh execution (continue-as-new). */
  defineTask({
    name: 'ContinueNodeOperation',
    input: z.looseObject({ ...operationInput, progress }),
    budgetSeconds: 25,
    table: 'write',
    starts: ['drain-fill'],
    run: (input, context) => continueOperation(context, input),
  }),
  defineTask({
    name: 'EndNodeOperation',
    input: z.looseObject({
      execution: z.string(),
      outcome: z.enum(['done', 'cancelled', 'interrupted', 'failed']),
    }),
    budgetSeconds: 25,
    table: 'write',
    run: (input, context) => endOperation(context, input),
  }),
];
