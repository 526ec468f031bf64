// A fake workflow starter: records executions; each starts in `initialStatus` (SUCCEEDED by
// default, so a caller waiting for it does not wait) and a test can finish it later.
import { ExecutionAlreadyExistsError } from '../../../lambdas/core/execution-errors';
import type {
  ExecutionStatus,
  WorkflowExecution,
  WorkflowName,
  WorkflowStarter,
} from '../../../lambdas/core/ports';

export class FakeWorkflowStarter implements WorkflowStarter {
  readonly executions: WorkflowExecution[] = [];
  /** Event histories a test gives executions (empty otherwise). */
  readonly histories = new Map<string, Array<Record<string, unknown>>>();
  initialStatus: ExecutionStatus = 'SUCCEEDED';

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<{ id: string }> {
    // As the port states it (Step Functions' rules): a running execution with the same name and
    // input is returned; any other reuse of the name is refused.
    const existing = this.executions.find((e) => e.name === name && e.workflow === workflow);
    if (existing) {
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input))
        return { id: existing.id };
      throw new ExecutionAlreadyExistsError(existing.id, `Execution Already Exists: '${existing.id}'`);
    }
    const id = `exec-${this.executions.length + 1}-${name}`;
    const done = this.initialStatus !== 'RUNNING';
    this.executions.push({
      id,
      name,
      workflow,
      status: this.initialStatus,
      startedAt: new Date().toISOString(),
      stoppedAt: done ? new Date().toISOString() : null,
      input,
      output: null,
      error: null,
    });
    return { id };
  }

  /** Ends a running execution. */
  finish(id: string, status: ExecutionStatus, output: unknown = null): void {
    const execution = this.executions.find((e) => e.id === id);
    if (!execution) throw new Error(`no execution ${id}`);
    Object.assign(execution, { status, output, stoppedAt: new Date().toISOString() });
  }

  async describe(id: string): Promise<WorkflowExecution | undefined> {
    const execution = this.executions.find((e) => e.id === id);
    return execution ? { ...execution } : undefined;
  }

  async list(filter: { status?: ExecutionStatus; limit: number }): Promise<WorkflowExecution[]> {
    return this.executions
      .filter((e) => filter.status === undefined || e.status === filter.status)
      .slice(-filter.limit)
      .reverse()
      .map((e) => ({ ...e }));
  }

  async history(id: string): Promise<Array<Record<string, unknown>>> {
    if (!this.executions.some((e) => e.id === id)) throw new Error(`no execution ${id}`);
    return this.histories.get(id) ?? [];
  }
}
