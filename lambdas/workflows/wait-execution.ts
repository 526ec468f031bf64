import type { WorkflowExecution, WorkflowStarter } from '../core/ports';

/** Polls an execution until it stops or the wait ends; returns its last known state. */
export async function waitForExecution(
  workflows: WorkflowStarter,
  id: string,
  waitMs: number,
): Promise<WorkflowExecution | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    const execution = await workflows.describe(id);
    if (execution?.status !== 'RUNNING' || Date.now() + pause > deadline) return execution;
    await new Promise((r) => setTimeout(r, pause));
  }
}
