// One state machine per statemachines/*.asl.json, its `${Task}` placeholders substituted with the
// ARNs of one task function each. Each function is derived from its entry in the task registry:
// timeout from the budget, table grant from the declared access, StartExecution on the workflows
// it starts. A Task state whose TimeoutSeconds does not cover its function's timeout (plus a cold
// start) is refused (core/timeouts.ts). State machine names are fixed per stage so that functions
// can be told the ARNs without a dependency cycle.
import { join } from 'node:path';
import {
  ArnFormat,
  Duration,
  aws_iam as iam,
  aws_logs as logs,
  Stack,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type AnyTask, taskTimeoutSeconds } from '../../lambdas/app/task';
import { EXPRESS_WORKFLOWS, WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';
import { chainProblems, timeoutChain } from '../../lambdas/core/timeouts';
import { TASKS } from '../../lambdas/tasks/registry';
import { loadWorkflow, type Workflow, walkStates } from '../../statemachines/asl';
import type { StageSettings } from '../stage';
import { ControllerFunction } from './controller-function';
import type { ControllerTable } from './controller-table';

export const ROOT = join(import.meta.dirname, '..', '..');

export function stateMachineName(stage: string, workflow: WorkflowName): string {
  return `storage-controller-${stage}-${workflow}`;
}

export interface WorkflowsProps {
  settings: StageSettings;
  environment: Record<string, string>;
  /** Each task function gets the grant its registry entry declares. */
  store: ControllerTable;
  /** The registry the functions derive from (tests pass another to see synth refuse it). */
  tasks?: Readonly<Record<string, AnyTask>>;
}

export class Workflows extends Construct {
  readonly stateMachines = new Map<WorkflowName, sfn.StateMachine>();
  readonly taskFunctions = new Map<string, ControllerFunction>();
  /** workflow → ARN, computed from the fixed names (no reference, hence no cycle). */
  readonly arns: Record<WorkflowName, string>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.arns = Object.fromEntries(
      WORKFLOWS.map((w) => [
        w,
        stack.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: stateMachineName(props.settings.stage, w),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ]),
    ) as Record<WorkflowName, string>;
    const environment = { ...props.environment, STATE_MACHINES: JSON.stringify(this.arns) };

    const tasks = props.tasks ?? TASKS;
    for (const workflow of WORKFLOWS) {
      const file = loadWorkflow(workflow);
      const { text, placeholders } = file;
      checkTaskTimeouts(file, tasks);
      const substitutions: Record<string, string> = {};
      for (const name of placeholders) {
        const task = tasks[name];
        // A placeholder nothing answers would deploy a state machine that cannot run.
        if (!task) throw new Error(`statemachines/${workflow}.asl.json: task ${name} is not in the registry`);
        const fn = this.taskFunctions.get(name) ?? this.taskFunction(task, environment, props);
        substitutions[name] = fn.functionArn;
      }
      // Express: billed by duration (a heartbeat execution waits most of its minute), not by state
      // transition. Its executions are seen only in its logs (every event, as for the others).
      const express = EXPRESS_WORKFLOWS.has(workflow);
      const machine = new sfn.StateMachine(this, `Workflow-${workflow}`, {
        stateMachineName: stateMachineName(props.settings.stage, workflow),
        stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
        definitionBody: sfn.DefinitionBody.fromString(text),
        definitionSubstitutions: substitutions,
        tracingEnabled: true,
        logs: {
          destination: new logs.LogGroup(this, `Workflow-${workflow}-Logs`, {
            retention: logs.RetentionDays.ONE_MONTH,
            removalPolicy: props.settings.removalPolicy,
          }),
          level: sfn.LogLevel.ALL,
          includeExecutionData: false,
        },
      });
      for (const name of placeholders) this.taskFunctions.get(name)!.grantInvoke(machine);
      this.stateMachines.set(workflow, machine);
    }
  }

  private taskFunction(task: AnyTask, environment: Record<string, string>, props: WorkflowsProps) {
    const fn = new ControllerFunction(this, `Task${task.name}`, {
      entry: join(ROOT, 'lambdas', 'handlers', 'task.ts'),
      environment: { ...environment, TASK_NAME: task.name },
      // From the task's time budget, stated once in its registry entry.
      timeout: Duration.seconds(taskTimeoutSeconds(task)),
      removalPolicy: props.settings.removalPolicy,
    });
    props.store.grant(fn, task.table);
    if (task.starts?.length) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution'],
          resources: task.starts.map((w) => this.arns[w]),
        }),
      );
    }
    if (task.watches?.length) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:ListExecutions', 'states:DescribeExecution'],
          resources: task.watches.flatMap((w) => [
            this.arns[w],
            Stack.of(this).formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${stateMachineName(props.settings.stage, w)}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ]),
        }),
      );
    }
    this.taskFunctions.set(task.name, fn);
    return fn;
  }
}

/** Refuses a Task state that could time out while its Lambda still runs (a retry beside a zombie). */
function checkTaskTimeouts(file: Workflow, tasks: Readonly<Record<string, AnyTask>>): void {
  for (const { path, state, task } of walkStates(file.definition)) {
    const budget = task === undefined ? undefined : tasks[task]?.budgetSeconds;
    if (budget === undefined) continue;
    const chain = timeoutChain('task', budget);
    const problems = chainProblems({ ...chain, outerTimeoutSeconds: state.TimeoutSeconds ?? 0 });
    if (problems.length > 0)
      throw new Error(
        `statemachines/${file.name}.asl.json: ${path.join('.')} (${task}): ${problems.join('; ')}`,
      );
  }
}
