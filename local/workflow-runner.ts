// Runs the ASL files in statemachines/ with aws-local-stepfunctions: every Task state is mapped
// to its handler in lambdas/tasks (the ones deployed as Lambdas), executions run in the
// background, and each keeps its id, name, status, input, output and event history.
import { randomUUID } from 'node:crypto';
import type { ApiContext } from '../lambdas/api/api-context';
import { taskTimeoutSeconds } from '../lambdas/app/task';
import { executionNameProblem } from '../lambdas/core/aws-limits';
import { ExecutionAlreadyExistsError, InvalidExecutionNameError } from '../lambdas/core/execution-errors';
import {
  EXPRESS_WORKFLOWS,
  type ExecutionStatus,
  type WorkflowExecution,
  type WorkflowName,
  type WorkflowStarter,
} from '../lambdas/core/ports';
import { TASKS, type TaskHandler, taskHandler } from '../lambdas/tasks/registry';
import {
  type AslDefinition,
  loadWorkflow,
  placeholders,
  substitutePlaceholders,
  type Workflow,
  walkStates,
} from '../statemachines/asl';
import { lambdaShaped } from './lambda-errors';
import {
  awsHistoryEvents,
  capMapConcurrency,
  guardStateOutputs,
  HistoryLimitExceededError,
  historyLimitProblem,
  limitTask,
} from './workflow-limits';

// aws-local-stepfunctions uses Promise.withResolvers, which Node 20 lacks (Lambda's Node 22 has it).
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
promiseStatics.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** The ASL file with `${TaskName}` placeholders replaced by Lambda ARNs, as CDK substitutes them. */
export function loadDefinition(workflow: WorkflowName | Workflow): AslDefinition {
  const { text } = typeof workflow === 'string' ? loadWorkflow(workflow) : workflow;
  return JSON.parse(
    substitutePlaceholders(text, (name) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`),
  ) as AslDefinition;
}

/**
 * State name → task name, for every Task state including those inside Map and Parallel. The
 * library keys local handlers by state name alone, so one name may not stand for two tasks.
 */
function taskStates(workflow: Workflow): Map<string, string> {
  const out = new Map<string, string>();
  for (const { name, path, task } of walkStates(workflow.definition)) {
    if (task === undefined) continue;
    const other = out.get(name);
    if (other !== undefined && other !== task)
      throw new Error(
        `${workflow.name}: state ${path.join('.')} runs ${task}, another ${name} runs ${other}`,
      );
    out.set(name, task);
  }
  return out;
}

export interface LocalWorkflowOptions {
  /** Replace Retry intervals with this many ms (tests). */
  retryIntervalMs?: number;
  /** Wrap a task handler, e.g. to inject a fault in a test. */
  wrapTask?: (task: string, handler: TaskHandler) => TaskHandler;
  /** Lambda timeouts in ms by task, replacing the tasks' own (tests that must not wait 25 s). */
  taskTimeoutMs?: Partial<Record<string, number>>;
  /** Run these definitions instead of the ASL files (tests of the runner itself). */
  definitions?: Partial<Record<WorkflowName, AslDefinition>>;
}

interface Record_ extends WorkflowExecution {
  events: Array<Record<string, unknown>>;
  done: Promise<void>;
  /** Stops the execution where it is (ABORTED), as a crash or StopExecution would. */
  abort: () => void;
}

export class LocalWorkflowRunner implements WorkflowStarter {
  private readonly executions = new Map<string, Record_>();

  constructor(
    private readonly services: () => ApiContext,
    private readonly options: LocalWorkflowOptions = {},
  ) {}

  async start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<{ id: string }> {
    const nameProblem = executionNameProblem(name);
    if (nameProblem) throw new InvalidExecutionNameError(nameProblem);
    // Step Functions keeps names for 90 days, longer than any local run: every name ever used counts
    // (Express workflows excepted: their names are not kept).
    for (const existing of this.executions.values()) {
      if (EXPRESS_WORKFLOWS.has(workflow)) break;
      if (existing.workflow !== workflow || existing.name !== name) continue;
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input))
        return { id: existing.id };
      throw new ExecutionAlreadyExistsError(
        existing.id,
        `Execution Already Exists: '${existing.id}' (${existing.status.toLowerCase()}${existing.status === 'RUNNING' ? ', other input' : ''})`,
      );
    }
    const { StateMachine } = await import('aws-local-stepfunctions');
    const file = this.workflowFile(workflow);
    const definition = capMapConcurrency(loadDefinition(file));
    const id = `local:${workflow}:${name}:${randomUUID().slice(0, 8)}`;
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const retryOverrides: Record<string, number> = {};
    for (const [state, task] of taskStates(file)) {
      const base = taskHandler(task);
      if (!base) throw new Error(`${workflow}: state ${state} uses unknown task ${task}`);
      const wrapped = lambdaShaped(this.options.wrapTask ? this.options.wrapTask(task, base) : base);
      const timeoutMs = this.options.taskTimeoutMs?.[task] ?? taskTimeoutSeconds(TASKS[task]!) * 1000;
      const handler = limitTask(state, wrapped, timeoutMs);
      handlers[state] = (taskInput: unknown) => handler(taskInput, this.services());
      if (this.options.retryIntervalMs !== undefined) retryOverrides[state] = this.options.retryIntervalMs;
    }
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
    guardStateOutputs(machine);
    const startedAt = new Date().toISOString();
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides: retryOverrides },
      context: { Execution: { Id: id, Name: name, Input: input as never, StartTime: startedAt } },
    });
    const record: Record_ = {
      id,
      name,
      workflow,
      status: 'RUNNING',
      startedAt,
      stoppedAt: null,
      input,
      output: null,
      error: null,
      events: [],
      done: Promise.resolve(),
      abort: () => execution.abort(),
    };
    this.executions.set(id, record);
    let historyEvents = 0;
    void (async () => {
      for await (const event of execution.eventLogs) {
        record.events.push(event as unknown as Record<string, unknown>);
        // Step Functions fails an execution whose history passes 25,000 events (a polling loop
        // that never ends): so does the local runner.
        historyEvents += awsHistoryEvents(event as never);
        const problem = historyLimitProblem(historyEvents);
        if (problem && record.status === 'RUNNING') {
          const error = new HistoryLimitExceededError(problem);
          record.status = 'FAILED';
          record.error = { error: error.name, cause: error.message };
          record.stoppedAt = new Date().toISOString();
          execution.abort();
        }
      }
    })().catch(() => undefined);
    record.done = execution.result
      .then(
        (output: unknown) => {
          if (record.status !== 'RUNNING') return; // stopped already (abortAll)
          record.status = 'SUCCEEDED';
          record.output = output;
        },
        (error: Error & { cause?: unknown }) => {
          if (record.status !== 'RUNNING') return;
          record.status =
            error.name === 'ExecutionTimeoutError'
              ? 'TIMED_OUT'
              : error.name === 'ExecutionAbortedError'
                ? 'ABORTED'
                : 'FAILED';
          const inner = error.cause instanceof Error ? error.cause : error;
          record.error = { error: inner.name, cause: inner.message };
        },
      )
      .finally(() => {
        record.stoppedAt ??= new Date().toISOString();
      });
    return { id };
  }

  private workflowFile(workflow: WorkflowName): Workflow {
    const definition = this.options.definitions?.[workflow];
    if (!definition) return loadWorkflow(workflow);
    const text = JSON.stringify(definition);
    return { name: workflow, text, definition, placeholders: placeholders(text) };
  }

  async describe(id: string): Promise<WorkflowExecution | undefined> {
    const record = this.executions.get(id);
    if (!record) return undefined;
    const { events: _e, done: _d, abort: _a, ...execution } = record;
    return execution;
  }

  async list(filter: { status?: ExecutionStatus; limit: number }): Promise<WorkflowExecution[]> {
    // As ListExecutions, which refuses Express state machines: their executions are not listed.
    const all = [...this.executions.values()]
      .filter((e) => !EXPRESS_WORKFLOWS.has(e.workflow))
      .filter((e) => !filter.status || e.status === filter.status)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
      .slice(0, filter.limit);
    return Promise.all(all.map(async (e) => (await this.describe(e.id))!));
  }

  async history(id: string): Promise<Array<Record<string, unknown>>> {
    return this.executions.get(id)?.events ?? [];
  }

  /**
   * Stops every running execution at once, without its Catch or abort path: what a controller
   * crash does to in-memory executions. Their leases and flags stay behind, and the next start
   * (startup reconciliation, reconcile-all) finishes or aborts what they left.
   */
  abortAll(): void {
    for (const record of this.executions.values()) {
      if (record.status !== 'RUNNING') continue;
      record.abort();
      // At once, as Step Functions reports a stopped execution: a task still in flight (a
      // zombie, like a Lambda that outlives its execution) must not keep it looking alive.
      record.status = 'ABORTED';
      record.stoppedAt = new Date().toISOString();
      record.error = { error: 'States.Aborted', cause: 'the controller stopped' };
    }
  }

  /** Waits for every execution started so far (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }
}
