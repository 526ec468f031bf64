// cdk-nag (AwsSolutions) findings we accept, each with its reason. Everything else must pass.
import { type CfnElement, type Stack, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ControllerApi } from './constructs/controller-api';
import type { Workflows } from './constructs/workflows';

function ack(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

export function acknowledgeNagFindings(
  stack: Stack,
  parts: { table: Construct; api: ControllerApi; workflows: Workflows; secretNames: string[] },
): void {
  const logicalId = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  // Findings spell the region and account as cdk-nag sees them: literal when the stack has them.
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  ack(
    stack,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'Grants only CreateLogStream/PutLogEvents; each function writes to its own log group.',
  );
  ack(
    stack,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments/PutTelemetryRecords and the Step Functions log-delivery APIs accept only "*".',
  );
  ack(
    stack,
    `AwsSolutions-IAM5[Resource::<${logicalId(parts.table)}.Arn>/index/*]`,
    'The store queries the table’s two sparse indexes (dirty shards, tenant list); both are ours.',
  );
  for (const name of parts.secretNames) {
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${region}:${account}:secret:${name}-*]`,
      'Secrets Manager appends a random suffix to secret ARNs; the name before it is fixed.',
    );
  }
  ack(
    stack,
    'AwsSolutions-L1',
    'nodejs22.x is the runtime the project targets (development and CI run Node 20; 22 is the nearest Lambda runtime).',
  );
  ack(
    stack,
    'AwsSolutions-APIG4',
    'Every route but /status, /ready and /metrics verifies an EdDSA JWT and its scope in the function (the tokens have no issuer, which API Gateway’s JWT authorizer requires).',
  );
  for (const arn of Object.values(parts.workflows.arns)) {
    const name = arn.split(':').at(-1)!;
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:${name}:*]`,
      'Describing an execution and reading its history needs the executions of our own state machines.',
    );
  }
  for (const fn of parts.workflows.taskFunctions.values()) {
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::<${logicalId(fn)}.Arn>:*]`,
      'Step Functions may invoke any version of its own task function (grantInvoke).',
    );
  }
}
