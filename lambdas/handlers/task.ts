// Lambda entry point for one workflow task: TASK_NAME (set per function by the stack) picks it.
import { TASKS } from '../tasks/registry';
import { awsServices } from './aws-services';

export const handler = async (event: unknown) => {
  const name = process.env.TASK_NAME ?? '';
  const task = TASKS[name];
  if (!task) throw new Error(`unknown task ${name}`);
  return task(event, await awsServices());
};
