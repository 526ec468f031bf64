// One state machine per statemachines/*.asl.json, its `${Task}` placeholders substituted with the
// ARNs of one task function each. State machine names are fixed per stage so that functions can
// be told the ARNs without a dependency cycle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, aws_logs as logs, Stack, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';
import type { StageSettings } from '../stage';
import { ControllerFunction } from './controller-function';

export const ROOT = join(import.meta.dirname, '..', '..');

export function aslText(workflow: WorkflowName): string {
  return readFileSync(join(ROOT, 'statemachines', `${workflow}.asl.json`), 'utf8');
}

export function taskNames(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]!))];
}

export function stateMachineName(stage: string, workflow: WorkflowName): string {
  return `storage-controller-${stage}-${workflow}`;
}

export interface WorkflowsProps {
  settings: StageSettings;
  environment: Record<string, string>;
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

    for (const workflow of WORKFLOWS) {
      const text = aslText(workflow);
      const substitutions: Record<string, string> = {};
      for (const task of taskNames(text)) {
        let fn = this.taskFunctions.get(task);
        if (!fn) {
          fn = new ControllerFunction(this, `Task${task}`, {
            entry: join(ROOT, 'lambdas', 'handlers', 'task.ts'),
            environment: { ...environment, TASK_NAME: task },
            // Below the states' TimeoutSeconds, so a stuck call fails as a Lambda error first.
            timeout: Duration.seconds(25),
            removalPolicy: props.settings.removalPolicy,
          });
          this.taskFunctions.set(task, fn);
        }
        substitutions[task] = fn.functionArn;
      }
      const machine = new sfn.StateMachine(this, `Workflow-${workflow}`, {
        stateMachineName: stateMachineName(props.settings.stage, workflow),
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
      for (const task of taskNames(text)) this.taskFunctions.get(task)!.grantInvoke(machine);
      this.stateMachines.set(workflow, machine);
    }
  }
}
