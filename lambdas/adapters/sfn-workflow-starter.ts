// Workflows on AWS Step Functions: one state machine per ASL file, executions named after the
// operation and the tenant or shard they act on.
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ExecutionAlreadyExistsError, InvalidExecutionNameError } from '../core/execution-errors';
import {
  EXPRESS_WORKFLOWS,
  type ExecutionStatus,
  type WorkflowExecution,
  type WorkflowName,
  type WorkflowStarter,
} from '../core/ports';

export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    /** State machine ARN per workflow (from the environment, set by CDK). */
    private readonly stateMachines: Record<WorkflowName, string>,
    private readonly client = new SFNClient({}),
  ) {}

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<{ id: string }> {
    const stateMachineArn = this.stateMachines[workflow];
    try {
      // A running execution with this name and input comes back as a success, as Step Functions
      // answers that itself.
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { id: out.executionArn! };
    } catch (error) {
      // The name is taken by a finished execution, or by a running one with other input: nothing
      // was started, and the caller must not take the old execution for a new one.
      if (error instanceof ExecutionAlreadyExists) {
        const existing = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
        throw new ExecutionAlreadyExistsError(existing, error.message);
      }
      if (error instanceof InvalidName) throw new InvalidExecutionNameError(error.message);
      throw error;
    }
  }

  async describe(id: string): Promise<WorkflowExecution | undefined> {
    const out = await this.client.send(new DescribeExecutionCommand({ executionArn: id }));
    const workflow = (Object.entries(this.stateMachines).find(
      ([, arn]) => arn === out.stateMachineArn,
    )?.[0] ?? 'reconcile-all') as WorkflowName;
    return {
      id,
      name: out.name ?? '',
      workflow,
      status: (out.status ?? 'RUNNING') as ExecutionStatus,
      startedAt: out.startDate?.toISOString() ?? '',
      stoppedAt: out.stopDate?.toISOString() ?? null,
      input: out.input ? JSON.parse(out.input) : null,
      output: out.output ? JSON.parse(out.output) : null,
      error: out.error ? { error: out.error, cause: out.cause ?? '' } : null,
    };
  }

  async list(filter: { status?: ExecutionStatus; limit: number }): Promise<WorkflowExecution[]> {
    const all: WorkflowExecution[] = [];
    for (const [workflow, stateMachineArn] of Object.entries(this.stateMachines)) {
      // ListExecutions refuses Express state machines.
      if (EXPRESS_WORKFLOWS.has(workflow as WorkflowName)) continue;
      const out = await this.client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: filter.status, maxResults: filter.limit }),
      );
      for (const e of out.executions ?? []) {
        all.push({
          id: e.executionArn!,
          name: e.name ?? '',
          workflow: workflow as WorkflowName,
          status: (e.status ?? 'RUNNING') as ExecutionStatus,
          startedAt: e.startDate?.toISOString() ?? '',
          stoppedAt: e.stopDate?.toISOString() ?? null,
          input: null,
          output: null,
          error: null,
        });
      }
    }
    return all.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1)).slice(0, filter.limit);
  }

  /** The whole history, page by page (a long execution has more than one page of 1000 events). */
  async history(id: string): Promise<Array<Record<string, unknown>>> {
    const events: Array<Record<string, unknown>> = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn: id, maxResults: 1000, nextToken }),
      );
      events.push(...((out.events ?? []) as unknown as Array<Record<string, unknown>>));
      nextToken = out.nextToken;
    } while (nextToken);
    return events;
  }
}
