// The stack's deploy-time parts (issue 13): what the functions may read of Secrets Manager, and
// the startup after each deploy: a custom resource that waits for startup, stable under `cdk diff`.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { startupTimeoutSeconds } from '../../lib/constructs/deploy-startup';
import { stateMachineName } from '../../lib/constructs/workflows';
import { type StageSettings, stageSettings } from '../../lib/stage';
import { StorageControllerStack, secretNames } from '../../lib/storage-controller-stack';

function synthApp(settings: StageSettings = stageSettings('staging')) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return { app, template: Template.fromStack(new StorageControllerStack(app, 'Test', { settings })) };
}
const synth = (settings?: StageSettings) => synthApp(settings).template;

let template: Template;
beforeAll(() => {
  template = synth();
}, 120_000);

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
};
type Statement = { Action: string | string[]; Resource: unknown };
const resourcesOf = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as Array<[string, Resource]>;
const statementsOf = (t: Template) =>
  resourcesOf(t, 'AWS::IAM::Policy').flatMap(([, p]) =>
    (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.map((st) => ({
      ...st,
      roles: JSON.stringify(p.Properties.Roles),
    })),
  );

describe('secrets', () => {
  it('grants each secret by its suffixed ARN and by its bare name, so a missing one reads as absent', () => {
    const resources = statementsOf(template)
      .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
      .map((st) => JSON.stringify(st.Resource));
    expect(resources.length).toBeGreaterThan(20);
    for (const name of Object.values(secretNames('staging'))) {
      for (const granted of resources) {
        // IAM checks a secret that does not exist against `secret:<name>`; one that exists against
        // `secret:<name>-xxxxxx`.
        expect(granted).toContain(`:secret:${name}-*"`);
        expect(granted).toContain(`:secret:${name}"`);
      }
    }
  });
});

describe('startup after deploy', () => {
  it('synthesizes the same template twice: nothing changes under cdk diff without a change', () => {
    expect(synth().toJSON()).toEqual(template.toJSON());
  }, 120_000);

  it('is a custom resource of our function, run once the table, API and every workflow are in place', () => {
    expect(resourcesOf(template, 'Custom::AWS')).toEqual([]);
    const runs = resourcesOf(template, 'Custom::StartupAfterDeploy');
    expect(runs).toHaveLength(1);
    const [, run] = runs[0]!;
    const fnId = (run!.Properties.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const fn = template.toJSON().Resources[fnId] as Resource;
    expect(fn.Type).toBe('AWS::Lambda::Function');
    // Its own timeout covers startup's, with room to answer; CloudFormation waits for every attempt.
    const timeout = fn.Properties.Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(startupTimeoutSeconds() + 15);
    expect(timeout).toBeLessThanOrEqual(900);
    expect(run!.Properties.ServiceTimeout).toBeGreaterThanOrEqual(3 * timeout);
    expect(run!.Properties.ServiceTimeout).toBeLessThanOrEqual(3600);
    const dependsOn = new Set(run!.DependsOn);
    const mustPrecede = [
      ...resourcesOf(template, 'AWS::StepFunctions::StateMachine'),
      ...resourcesOf(template, 'AWS::DynamoDB::GlobalTable'),
      ...resourcesOf(template, 'AWS::Lambda::Function').filter(([, f]) =>
        JSON.stringify(f.Properties.Environment ?? {}).includes('TABLE_NAME'),
      ),
    ].map(([id]) => id);
    expect(mustPrecede.length).toBeGreaterThan(25);
    for (const id of mustPrecede) expect(dependsOn.has(id), id).toBe(true);
  });

  it('may start and describe startup-reconcile executions only, and read its own stack’s status', () => {
    const own = statementsOf(template).filter((st) => st.roles.includes('StartupAfterDeployFunction'));
    const actions = own.flatMap((st) => [st.Action].flat()).filter((a) => !a.startsWith('xray:'));
    expect(actions.sort()).toEqual([
      'cloudformation:DescribeStacks',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    const machine = stateMachineName('staging', 'startup-reconcile');
    const resourceOf = (action: string) =>
      JSON.stringify(own.find((st) => [st.Action].flat().includes(action))?.Resource);
    expect(resourceOf('states:StartExecution')).toContain(`:stateMachine:${machine}"`);
    expect(resourceOf('states:DescribeExecution')).toContain(`:execution:${machine}:*"`);
    expect(resourceOf('cloudformation:DescribeStacks')).toBe('{"Ref":"AWS::StackId"}');
  });

  it('runs again when what startup runs changes (its fingerprint follows functions and workflows)', () => {
    const fingerprint = (t: Template) =>
      resourcesOf(t, 'Custom::StartupAfterDeploy')[0]![1].Properties.Fingerprint;
    expect(fingerprint(template)).toMatch(/^[0-9a-f]{32}$/);
    const withHook = synth({
      ...stageSettings('staging'),
      computeHookUrl: 'https://control-plane.example/notify',
    });
    expect(fingerprint(withHook)).not.toBe(fingerprint(template));
    expect(fingerprint(synth({ ...stageSettings('staging'), reconcileMinutes: 5 }))).toBe(
      fingerprint(template),
    );
  }, 120_000);
});

describe('alarms', () => {
  it('notify one encrypted, TLS-only topic whose subscribers come from the stage config, and pass cdk-nag', () => {
    const { app, template: t } = synthApp({
      ...stageSettings('prod'),
      alarms: { emails: ['oncall@example.com'], httpsUrls: ['https://pager.example/hook'] },
    });
    const topics = resourcesOf(t, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const topicPolicies = JSON.stringify(resourcesOf(t, 'AWS::SNS::TopicPolicy'));
    expect(topicPolicies).toContain('"aws:SecureTransport":"false"');
    const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(5);
    for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
    const subscribed = resourcesOf(t, 'AWS::SNS::Subscription').map(([, sub]) => [
      sub.Properties.Protocol,
      sub.Properties.Endpoint,
    ]);
    expect(subscribed.sort()).toEqual([
      ['email', 'oncall@example.com'],
      ['https', 'https://pager.example/hook'],
    ]);
    // CloudWatch may use the topic's key; the key rotates.
    const [[, key]] = resourcesOf(t, 'AWS::KMS::Key') as [[string, Resource]];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const devKey = Object.values(synth(stageSettings('dev')).findResources('AWS::KMS::Key'))[0];
    expect(devKey?.DeletionPolicy).toBe('Delete');
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    const nag = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
  }, 120_000);

  it('shows the figures /metrics shows, from the functions’ EMF metrics, on the dashboard', () => {
    const body = JSON.stringify(
      resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody,
    );
    for (const metric of [
      'storage_controller_http_requests_total',
      'storage_controller_http_request_duration_seconds',
      'storage_controller_reconcile_complete',
      'storage_controller_compute_notifications',
      'storage_controller_scheduling_errors',
    ])
      expect(body).toContain(metric);
    const env = resourcesOf(template, 'AWS::Lambda::Function')
      .map(
        ([, f]) =>
          (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      )
      .filter((vars) => 'TABLE_NAME' in vars);
    for (const vars of env)
      expect(vars).toMatchObject({ STAGE: 'staging', POWERTOOLS_METRICS_NAMESPACE: 'StorageController' });
  });
});
