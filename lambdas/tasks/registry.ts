// The task registry: every workflow task by the name its ASL files use for it (`${Name}` in
// Resource). The CDK stack derives each task function from its entry; the local runner runs them.
import type { AppContext } from '../app/context';
import { type AnyTask, runTask } from '../app/task';
import { drainFillTasks } from '../workflows/drain-fill/tasks';
import { migrateTasks } from '../workflows/migrate/tasks';
import { reconcileAllTasks } from '../workflows/reconcile-all/tasks';
import { splitTasks } from '../workflows/shard-split/tasks';
import { startupTasks } from '../workflows/startup/tasks';
import { commonTasks } from '../workflows/tenant-lease-tasks';

export const TASK_LIST: AnyTask[] = [
  ...commonTasks,
  ...splitTasks,
  ...migrateTasks,
  ...reconcileAllTasks,
  ...startupTasks,
  ...drainFillTasks,
];

export const TASKS: Record<string, AnyTask> = Object.fromEntries(TASK_LIST.map((t) => [t.name, t]));

/**
 * A task as something to call: validates its input, then runs it by its deadline (from
 * `startedAt`, when the invocation began: now if not given).
 */
export type TaskHandler = (input: unknown, context: AppContext, startedAt?: number) => Promise<unknown>;

export function taskHandler(name: string): TaskHandler | undefined {
  const task = TASKS[name];
  return task && ((input, context, startedAt) => runTask(task, input, context, startedAt));
}
