// The CDK stack as a template: routes from the route table, state machines from the ASL files,
// schedule, startup trigger, table settings and scoped permissions. Bundling is skipped here.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/route-table';
import { WORKFLOWS } from '../../lambdas/core/ports';
import { aslText, stateMachineName, taskNames } from '../../lib/constructs/workflows';
import { stageSettings } from '../../lib/stage';
import { StorageControllerStack } from '../../lib/storage-controller-stack';

let template: Template;
let app: App;
beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StorageControllerStack(app, 'Test', { settings: stageSettings('staging') });
  template = Template.fromStack(stack);
}, 120_000);

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const resources = (type: string) => Object.entries(template.findResources(type)) as Array<[string, Resource]>;

describe('the stack', () => {
  it('has a route, with a Lambda integration, for every entry of the route table', () => {
    const routeKeys = resources('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routeKeys.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const [, route] of resources('AWS::ApiGatewayV2::Route'))
      expect(JSON.stringify(route.Properties.Target)).toContain('integrations/');
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY' }, 5);
  });

  it('defines each state machine from its ASL file, every task substituted with a function ARN', () => {
    for (const workflow of WORKFLOWS) {
      const text = aslText(workflow);
      const [[, machine]] = resources('AWS::StepFunctions::StateMachine').filter(
        ([, r]) => r.Properties.StateMachineName === stateMachineName('staging', workflow),
      ) as [[string, Resource]];
      expect(machine.Properties.DefinitionString).toBe(text);
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      expect(Object.keys(substitutions).sort()).toEqual(taskNames(text).sort());
      for (const value of Object.values(substitutions))
        expect(JSON.stringify(value)).toMatch(/Fn::GetAtt.*Arn/);
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      expect(machine.Properties.LoggingConfiguration).toMatchObject({
        Level: 'ALL',
        IncludeExecutionData: false,
      });
    }
  });

  it('runs reconcile-all on a schedule and startup reconciliation after each deploy', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([Match.objectLike({ Input: '{"cursor":null}' })]),
    });
    const custom = resources('Custom::AWS');
    expect(custom).toHaveLength(1);
    expect(JSON.stringify(custom[0]![1].Properties.Create)).toContain('startExecution');
  });

  it('keeps the table: point-in-time recovery, TTL, both indexes, retained with deletion protection', () => {
    const [[, table]] = resources('AWS::DynamoDB::GlobalTable') as [[string, Resource]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(
      (table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>)
        .map((i) => i.IndexName)
        .sort(),
    ).toEqual(['dirty', 'list']);
    expect(JSON.stringify(table.Properties.Replicas)).toContain('"PointInTimeRecoveryEnabled":true');
    expect(JSON.stringify(table.Properties.Replicas)).toContain('"DeletionProtectionEnabled":true');
  });

  it('gives workflow permissions only to the functions that start or watch workflows', () => {
    const policies = resources('AWS::IAM::Policy');
    const withStates = policies.filter(([, p]) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('states:StartExecution'),
    );
    const roles = withStates.map(([, p]) => JSON.stringify(p.Properties.Roles));
    for (const group of ['tenant', 'node', 'debug'])
      expect(roles.some((r) => r.includes(`Api${group}`))).toBe(true);
    expect(roles.some((r) => r.includes('Apistatus'))).toBe(false);
    expect(roles.some((r) => r.includes('Apiupcall'))).toBe(false);
    // Secrets are read by name at run time; no secret value is in the template.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/BEGIN PUBLIC KEY/);
  });

  it('runs every function on Node 22, arm64, with tracing and explicit memory and timeout', () => {
    // Ours carry the table name; the custom resource's provider function is CDK's own.
    const functions = resources('AWS::Lambda::Function').filter(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('TABLE_NAME'),
    );
    expect(functions.length).toBeGreaterThan(20);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        TracingConfig: { Mode: 'Active' },
      });
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(29);
    }
  });

  it('passes cdk-nag AwsSolutions with every accepted finding acknowledged with a reason', () => {
    const result = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    expect(
      result.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('logs API access', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('routeKey') }),
    });
  });

  it('scopes table access: the probes read only, RaiseFailure has none, API groups and tasks read and write', () => {
    const policyFor = (fragment: string) =>
      resources('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(fragment))
        .map(([, p]) => JSON.stringify(p.Properties.PolicyDocument))
        .join('');
    expect(policyFor('Apistatus')).toContain('dynamodb:GetItem');
    expect(policyFor('Apistatus')).not.toContain('dynamodb:PutItem');
    expect(policyFor('TaskRaiseFailure')).not.toContain('dynamodb:');
    for (const fragment of ['TaskListDirty', 'TaskListNodes', 'TaskCheckCatchUp']) {
      expect(policyFor(fragment), fragment).toContain('dynamodb:Query');
      expect(policyFor(fragment), fragment).not.toContain('dynamodb:PutItem');
    }
    for (const fragment of [
      'Apitenant',
      'Apinode',
      'Apiupcall',
      'Apidebug',
      'TaskBeginSplit',
      'TaskReconcileShard',
    ]) {
      expect(policyFor(fragment), fragment).toContain('dynamodb:PutItem');
    }
  });

  it('has a dashboard and alarms for API errors, workflow failures, reconcile errors and throttles', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(resources('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    for (const title of [
      'API errors',
      'API latency p99',
      'Reconcile errors',
      'DynamoDB throttles',
      'Workflow failures',
      'Workflow durations p90',
    ]) {
      expect(body).toContain(title);
    }
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, a]) => String(a.Properties.AlarmDescription));
    expect(alarms.some((d) => d.includes('5xx'))).toBe(true);
    expect(alarms.some((d) => d.includes('Reconciles keep failing'))).toBe(true);
    expect(alarms.some((d) => d.includes('throttled'))).toBe(true);
    for (const workflow of WORKFLOWS) expect(alarms).toContain(`${workflow} executions failed.`);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: Match.stringLikeRegexp('reconcile'),
    });
  });
});
