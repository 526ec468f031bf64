// Lets a workflow test wrap any task handler (to delay it, or make it throw after its work)
// while the real handler still runs underneath.
import type { TaskHandler } from '../../lambdas/tasks/registry';

export type TaskHook = (input: unknown, run: () => Promise<unknown>) => Promise<unknown>;

export function taskHooks() {
  const hooks: Record<string, TaskHook> = {};
  const wrapTask =
    (task: string, handler: TaskHandler): TaskHandler =>
    async (input, services) => {
      const hook = hooks[task];
      return hook ? hook(input, () => handler(input, services)) : handler(input, services);
    };
  const reset = () => {
    for (const key of Object.keys(hooks)) delete hooks[key];
  };
  return { hooks, wrapTask, reset };
}
