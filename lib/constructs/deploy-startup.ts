// Startup reconciliation after each deploy: a custom resource whose function starts
// startup-reconcile, waits for it and answers CloudFormation, so a deploy whose startup fails fails.
// It runs when the stack is created and whenever what startup runs changes: its one property is a
// fingerprint of every function's code and environment and every state machine's definition,
// computed at synth (the same app gives the same template: nothing changes under `cdk diff`). The
// function's timeout is derived from startup-reconcile's own TimeoutSeconds.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  ArnFormat,
  type CfnResource,
  CustomResource,
  Duration,
  aws_iam as iam,
  Lazy,
  aws_lambda as lambda,
  Stack,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { aslText } from '../../statemachines/asl';
import type { StageSettings } from '../stage';
import { ControllerFunction } from './controller-function';
import { ROOT } from './workflows';

/** Room after startup's own timeout: answering CloudFormation (the handler keeps 15 s) and polling. */
const MARGIN_SECONDS = 45;
/** Lambda retries a failed asynchronous invocation twice, a minute and then two apart. */
const INVOCATIONS = 3;
const RETRY_PAUSES_SECONDS = 60 + 120;

export function startupTimeoutSeconds(): number {
  const seconds = (JSON.parse(aslText('startup-reconcile')) as { TimeoutSeconds?: number }).TimeoutSeconds;
  if (!seconds) throw new Error('statemachines/startup-reconcile.asl.json needs a TimeoutSeconds');
  return seconds;
}

export interface DeployStartupProps {
  settings: StageSettings;
  /** The startup-reconcile state machine's ARN (from its fixed name). */
  startupArn: string;
  /** Everything startup uses; the custom resource runs once all of it is in place. */
  after: Construct[];
}

export class DeployStartup extends Construct {
  readonly function: ControllerFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DeployStartupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const timeout = Duration.seconds(startupTimeoutSeconds() + MARGIN_SECONDS);
    this.function = new ControllerFunction(this, 'Function', {
      entry: join(ROOT, 'lambdas', 'handlers', 'startup-after-deploy.ts'),
      environment: { STATE_MACHINES: JSON.stringify({ 'startup-reconcile': props.startupArn }) },
      timeout,
      removalPolicy: props.settings.removalPolicy,
    });
    const machineName = props.startupArn.split(':').at(-1)!;
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.startupArn] }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${machineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // To tell a rollback (which must not be stopped by startup) from a deploy.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
    );

    this.resource = new CustomResource(this, 'Run', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::StartupAfterDeploy',
      properties: {
        Fingerprint: Lazy.string({ produce: () => fingerprint(stack, this.function) }),
      },
    });
    // How long CloudFormation waits for an answer that never comes: every invocation Lambda may make.
    (this.resource.node.defaultChild as CfnResource).addPropertyOverride(
      'ServiceTimeout',
      INVOCATIONS * timeout.toSeconds() + RETRY_PAUSES_SECONDS,
    );
    for (const construct of props.after) this.resource.node.addDependency(construct);
  }
}

/** A hash of what startup runs: each function's code and environment, each state machine's definition. */
function fingerprint(stack: Stack, own: lambda.Function): string {
  const hash = createHash('sha256');
  const ownChild = own.node.defaultChild;
  for (const child of stack.node.findAll()) {
    if (child instanceof lambda.CfnFunction && child !== ownChild)
      hash.update(JSON.stringify(stack.resolve([child.node.path, child.code, child.environment])));
    if (child instanceof sfn.CfnStateMachine)
      hash.update(
        JSON.stringify(
          stack.resolve([child.node.path, child.definitionString, child.definitionSubstitutions]),
        ),
      );
  }
  return hash.digest('hex').slice(0, 32);
}
