// The CDK stack as a template: routes from the route table, state machines from the ASL files,
// schedule, startup trigger, table settings and scoped permissions. Bundling is skipped here.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/route-table';
import type { AnyTask } from '../../lambdas/app/task';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';
import { TASK_LIST, TASKS } from '../../lambdas/tasks/registry';
import { ControllerTable } from '../../lib/constructs/controller-table';
import { stateMachineName, Workflows } from '../../lib/constructs/workflows';
import { stageSettings } from '../../lib/stage';
import { HEARTBEAT_WINDOW_SECONDS, StorageControllerStack } from '../../lib/storage-controller-stack';
import { aslText, placeholders } from '../../statemachines/asl';

let template: Template;
let app: App;
beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new StorageControllerStack(app, 'Test', { settings: stageSettings('staging') });
  template = Template.fromStack(stack);
}, 120_000);

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
const resourcesOf = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as Array<[string, Resource]>;
const resources = (type: string) => resourcesOf(template, type);

type Statement = { Action: string | string[]; Resource: unknown };

/** The task functions of a template, by their TASK_NAME, each with the statements of its role. */
function taskFunctionsOf(t: Template) {
  const policies = resourcesOf(t, 'AWS::IAM::Policy');
  return resourcesOf(t, 'AWS::Lambda::Function').flatMap(([, fn]) => {
    const name = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
      ?.TASK_NAME;
    if (typeof name !== 'string') return [];
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = policies
      .filter(([, p]) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === role))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const actions = statements.flatMap((st) => [st.Action].flat());
    /** The state machines (by workflow) this function may start executions of. */
    const starts = statements
      .filter((st) => [st.Action].flat().includes('states:StartExecution'))
      .flatMap((st) => [
        ...JSON.stringify(st.Resource).matchAll(/stateMachine:storage-controller-\w+-([a-z-]+)/g),
      ])
      .map((m) => m[1]!)
      .sort();
    /** The state machines whose executions it may describe. */
    const watches = statements
      .filter((st) => [st.Action].flat().includes('states:DescribeExecution'))
      .flatMap((st) => [
        ...JSON.stringify(st.Resource).matchAll(/execution:storage-controller-\w+-([a-z-]+):/g),
      ])
      .map((m) => m[1]!)
      .sort();
    return [{ name, timeout: fn.Properties.Timeout, actions, starts, watches }];
  });
}

const DYNAMO_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:*',
];

/** Each function's timeout, table actions and StartExecution resources agree with its task. */
function expectDerivedFromRegistry(t: Template, tasks: Record<string, AnyTask>) {
  const functions = taskFunctionsOf(t);
  expect(functions.map((f) => f.name).sort()).toEqual(Object.keys(tasks).sort());
  for (const fn of functions) {
    const task = tasks[fn.name]!;
    expect(fn.timeout, fn.name).toBe(task.budgetSeconds);
    const dynamo = fn.actions.filter((a) => a.startsWith('dynamodb:'));
    if (task.table === 'none') expect(dynamo, fn.name).toEqual([]);
    if (task.table === 'read') {
      expect(dynamo, fn.name).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
      expect(
        dynamo.filter((a) => DYNAMO_WRITES.includes(a)),
        fn.name,
      ).toEqual([]);
    }
    if (task.table === 'write')
      expect(dynamo, fn.name).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']),
      );
    expect(fn.starts, fn.name).toEqual([...(task.starts ?? [])].sort());
    expect(fn.watches, fn.name).toEqual([...(task.watches ?? [])].sort());
  }
}

/** Workflows alone, in a stack of its own, from a registry a test chose. */
function workflowsFrom(tasks: Record<string, AnyTask>): Template {
  const scratch = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(scratch, 'Scratch');
  const settings = stageSettings('staging');
  const store = new ControllerTable(stack, 'Store', settings);
  new Workflows(stack, 'Workflows', { settings, environment: {}, store, tasks });
  return Template.fromStack(stack);
}

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
      expect(Object.keys(substitutions).sort()).toEqual(placeholders(text).sort());
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
    // The deploy's startup is a custom resource of our own (test/infra/deploy-stack.test.ts).
    expect(resources('Custom::AWS')).toHaveLength(0);
    expect(resources('Custom::StartupAfterDeploy')).toHaveLength(1);
  });

  it('beats every minute with an Express heartbeat workflow, with the stage intervals in every function', () => {
    const [[, machine]] = resources('AWS::StepFunctions::StateMachine').filter(
      ([, r]) => r.Properties.StateMachineName === stateMachineName('staging', 'heartbeat'),
    ) as [[string, Resource]];
    expect(machine.Properties.StateMachineType).toBe('EXPRESS');
    for (const workflow of WORKFLOWS.filter((w) => w !== 'heartbeat')) {
      const [[, other]] = resources('AWS::StepFunctions::StateMachine').filter(
        ([, r]) => r.Properties.StateMachineName === stateMachineName('staging', workflow),
      ) as [[string, Resource]];
      expect(other.Properties.StateMachineType ?? 'STANDARD').toBe('STANDARD');
    }
    const { heartbeat } = stageSettings('staging');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([
        Match.objectLike({
          Input: JSON.stringify({
            nodes: null,
            interval: heartbeat.intervalSeconds,
            window: HEARTBEAT_WINDOW_SECONDS,
          }),
        }),
      ]),
    });
    const functions = resources('AWS::Lambda::Function').filter(([, f]) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('TABLE_NAME'),
    );
    for (const [, fn] of functions)
      expect((fn.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        HEARTBEAT_INTERVAL: String(heartbeat.intervalSeconds),
        MAX_OFFLINE_INTERVAL: String(heartbeat.maxOfflineSeconds),
        MAX_WARMING_UP_INTERVAL: String(heartbeat.maxWarmingUpSeconds),
        MAX_SECONDARY_LAG_BYTES: String(256 * 1024 * 1024),
      });
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
    // The upcall group starts one thing: a heartbeat execution for a node that re-attached.
    const upcall = withStates.filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('Apiupcall'));
    const upcallStates = upcall.flatMap(([, p]) =>
      (
        (p.Properties.PolicyDocument as { Statement: unknown }).Statement as Array<{
          Action: string | string[];
          Resource: unknown;
        }>
      ).filter((st) => JSON.stringify(st.Action).includes('states:')),
    );
    expect(upcallStates).toHaveLength(1);
    expect(upcallStates[0]!.Action).toBe('states:StartExecution');
    expect(JSON.stringify(upcallStates[0]!.Resource)).toMatch(/storage-controller-\w+-heartbeat/);
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

  it('scopes table access: the probes read only, API groups and tasks read and write', () => {
    const policyFor = (fragment: string) =>
      resources('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(fragment))
        .map(([, p]) => JSON.stringify(p.Properties.PolicyDocument))
        .join('');
    expect(policyFor('Apistatus')).toContain('dynamodb:GetItem');
    expect(policyFor('Apistatus')).not.toContain('dynamodb:PutItem');
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

  it('derives each task function from its registry entry: timeout, table grant, workflows it starts', () => {
    expectDerivedFromRegistry(template, TASKS);
    // The one task that starts a workflow today, spelled out so the check above has a case.
    expect(taskFunctionsOf(template).find((f) => f.name === 'StartCleanup')?.starts).toEqual([
      'startup-cleanup',
    ]);
  });
});

describe('task functions from another registry', () => {
  it('follow changed budgets, table access and starts', () => {
    const changed: Record<string, AnyTask> = {
      ...TASKS,
      ListDirty: { ...TASKS.ListDirty!, budgetSeconds: 17, table: 'none' },
      ReconcileShard: { ...TASKS.ReconcileShard!, table: 'read', starts: ['migrate', 'reconcile-all'] },
      StartCleanup: { ...TASKS.StartCleanup!, budgetSeconds: 20, starts: [] as WorkflowName[] },
    };
    const t = workflowsFrom(changed);
    expectDerivedFromRegistry(t, changed);
    const byName = new Map(taskFunctionsOf(t).map((f) => [f.name, f]));
    expect(byName.get('ListDirty')).toMatchObject({ timeout: 17, starts: [] });
    expect(byName.get('ReconcileShard')?.starts).toEqual(['migrate', 'reconcile-all']);
    expect(byName.get('StartCleanup')).toMatchObject({ timeout: 20, starts: [] });
  });

  it('refuse to synthesize when an ASL file names a task the registry lacks', () => {
    const { ListDirty: _missing, ...rest } = TASKS;
    expect(() => workflowsFrom(rest)).toThrow(
      /reconcile-all\.asl\.json: task ListDirty is not in the registry/,
    );
    expect(TASK_LIST.some((t) => t.name === 'ListDirty')).toBe(true);
  });
});
