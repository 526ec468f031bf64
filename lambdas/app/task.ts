// The shape of one workflow task, as data (like a route): the name its ASL files use, the zod
// schema of its input, its time budget and what it may touch. The CDK stack derives each task
// function's timeout and grants from it; both runtimes validate the input with the same schema.
import * as z from 'zod';
import type { WorkflowName } from '../core/ports';
import { timeoutChain } from '../core/timeouts';
import { RejectedError } from '../core/workflow-errors';
import { type AppContext, withDeadline } from './context';

/** What the task does to the table: the grant its function gets. */
export type TableAccess = 'none' | 'read' | 'write';

export interface TaskDef<I = unknown> {
  /** `${Name}` in the ASL files' Resource. */
  name: string;
  /** The input as the state machine passes it; extra fields are kept (tasks pass their input on). */
  input: z.ZodType<I>;
  /**
   * Seconds the task may run: its Lambda timeout, from which its code deadline (`context.deadline`)
   * and its Task states' least TimeoutSeconds follow (core/timeouts.ts).
   */
  budgetSeconds: number;
  table: TableAccess;
  /** Workflows the task starts executions of. */
  starts?: WorkflowName[];
  /** Workflows whose executions the task lists and describes (waits for). */
  watches?: WorkflowName[];
  run(input: I, context: AppContext): Promise<unknown>;
}

/**
 * The task's Lambda timeout in seconds: its budget, as is. The CDK stack gives each task function
 * this timeout and the local runner stops waiting for a task after it, so both runtimes agree.
 */
export function taskTimeoutSeconds(task: Pick<TaskDef, 'budgetSeconds'>): number {
  return timeoutChain('task', task.budgetSeconds).lambdaTimeoutSeconds;
}

/** Erases the input type so tasks of different shapes share one registry. */
export type AnyTask = TaskDef<never> & { run(input: unknown, context: AppContext): Promise<unknown> };

export function defineTask<I>(task: TaskDef<I>): AnyTask {
  return task as unknown as AnyTask;
}

/**
 * Validates the input against the task's schema, then runs it with a context whose deadline is
 * the task's code budget from `startedAt` (when the invocation began).
 */
export async function runTask(
  task: AnyTask,
  input: unknown,
  context: AppContext,
  startedAt = Date.now(),
): Promise<unknown> {
  const deadline = startedAt + timeoutChain('task', task.budgetSeconds).codeBudgetMs;
  const parsed = (task.input as z.ZodType).safeParse(input);
  // A malformed input will not improve on retry: Rejected is never retried.
  if (!parsed.success)
    throw new RejectedError(`${task.name}: invalid input: ${z.prettifyError(parsed.error)}`);
  return task.run(parsed.data as never, withDeadline(context, deadline));
}
