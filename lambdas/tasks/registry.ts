// Every workflow task by the name its ASL files use for it (`${Name}` in Resource).
import type { Services } from '../api/services';
import { commonTasks } from './common-tasks';
import { migrateTasks } from './migrate-tasks';
import { reconcileTasks } from './reconcile-tasks';
import { splitTasks } from './split-tasks';

// biome-ignore lint/suspicious/noExplicitAny: each task validates its own input shape.
export type TaskHandler = (input: any, services: Services) => Promise<unknown>;

export const TASKS: Record<string, TaskHandler> = {
  ...commonTasks,
  ...splitTasks,
  ...reconcileTasks,
  ...migrateTasks,
};
