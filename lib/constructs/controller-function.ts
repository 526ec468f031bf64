// Our defaults for every Lambda: Node 22 on arm64, minified ESM-free bundle with source maps,
// active tracing, explicit memory and timeout, and its own log group.
import {
  type Duration,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface ControllerFunctionProps {
  /** Entry file under lambdas/handlers. */
  entry: string;
  environment: Record<string, string>;
  /** From the function's budget (core/timeouts.ts): no default, so none is forgotten. */
  timeout: Duration;
  removalPolicy: RemovalPolicy;
}

export class ControllerFunction extends nodejs.NodejsFunction {
  /** Where this function logs (for metric filters). */
  readonly logs: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ControllerFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'storage-controller',
        ...props.environment,
      },
      bundling: { minify: true, sourceMap: true, target: 'node22' },
    });
    this.logs = logGroup;
  }
}
