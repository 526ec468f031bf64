// The storage controller on AWS: table, API, workflows, the reconcile-all schedule and a
// startup reconciliation after each deploy (which fails the deploy if it fails). Secrets are read at run time from Secrets Manager
// by name; none of their values passes through the template.
import {
  Annotations,
  ArnFormat,
  CfnOutput,
  Duration,
  aws_events as events,
  aws_iam as iam,
  Stack,
  type StackProps,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteGroup } from '../lambdas/api/route';
import type { TableAccess } from '../lambdas/app/task';
import { ControllerApi } from './constructs/controller-api';
import { ControllerTable } from './constructs/controller-table';
import { DeployStartup } from './constructs/deploy-startup';
import { METRICS_NAMESPACE, Observability } from './constructs/observability';
import { Workflows } from './constructs/workflows';
import { acknowledgeNagFindings } from './nag-acknowledgements';
import { type StageSettings, stageWarnings } from './stage';

/** Secret names per stage; each holds a plain string. All are optional. */
export function secretNames(stage: string) {
  return {
    PUBLIC_KEY_SECRET: `storage-controller/${stage}/public-key`,
    PAGESERVER_JWT_TOKEN_SECRET: `storage-controller/${stage}/pageserver-jwt-token`,
    CONTROL_PLANE_JWT_TOKEN_SECRET: `storage-controller/${stage}/control-plane-jwt-token`,
  };
}

/**
 * What each API group's function may touch: the probes only read the table; the tenant, node and
 * debug groups start and watch workflows. (Task functions derive theirs from the task registry.)
 */
const API_ACCESS: Record<RouteGroup, { table: TableAccess; workflows: boolean }> = {
  status: { table: 'read', workflows: false },
  node: { table: 'write', workflows: true },
  tenant: { table: 'write', workflows: true },
  upcall: { table: 'write', workflows: false },
  debug: { table: 'write', workflows: true },
};

/**
 * Seconds of each minute's heartbeat execution within which beats start: the last starts at most
 * one interval before it ends, so the next minute's execution takes over without a gap.
 */
export const HEARTBEAT_WINDOW_SECONDS = 58;

export interface StorageControllerStackProps extends StackProps {
  /** From config/<stage>.json (lib/stage.ts). */
  settings: StageSettings;
}

export class StorageControllerStack extends Stack {
  constructor(scope: Construct, id: string, props: StorageControllerStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const store = new ControllerTable(this, 'Store', settings);
    const { table } = store;
    const secrets = secretNames(settings.stage);
    const environment: Record<string, string> = {
      TABLE_NAME: table.tableName,
      // CloudWatch EMF metrics: namespace, and the stage as a dimension (lambdas/handlers/emf.ts).
      STAGE: settings.stage,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      ...secrets,
      ...(settings.computeHookUrl ? { COMPUTE_HOOK_URL: settings.computeHookUrl } : {}),
      HEARTBEAT_INTERVAL: String(settings.heartbeat.intervalSeconds),
      MAX_OFFLINE_INTERVAL: String(settings.heartbeat.maxOfflineSeconds),
      MAX_WARMING_UP_INTERVAL: String(settings.heartbeat.maxWarmingUpSeconds),
      MAX_SECONDARY_LAG_BYTES: String(settings.maxSecondaryLagBytes),
    };
    for (const { id: warning, message } of stageWarnings(settings))
      Annotations.of(this).addWarningV2(warning, message);

    const workflows = new Workflows(this, 'Workflows', { settings, environment, store });
    const api = new ControllerApi(this, 'Api', {
      settings,
      environment: { ...environment, STATE_MACHINES: JSON.stringify(workflows.arns) },
    });

    // Each secret by its name: the suffixed ARN it has once created (`<name>-xxxxxx`), and the bare
    // name, which is what IAM checks when the secret does not exist; without it a missing (optional)
    // secret answers AccessDenied instead of ResourceNotFound and every cold start fails.
    const secretArns = Object.values(secrets).flatMap((name) =>
      [`${name}-*`, name].map((resourceName) =>
        this.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    );
    // Table access: each task function got its declared grant in Workflows; the API groups here.
    for (const [group, fn] of api.functions) store.grant(fn, API_ACCESS[group].table);
    for (const fn of [...api.functions.values(), ...workflows.taskFunctions.values()]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secretArns }),
      );
    }
    // Starting and watching workflows, for the API groups that do. ARNs come from the fixed names,
    // which avoids a cycle between a state machine (that invokes the function) and the function
    // (that starts it).
    const executionArns = (name: string) =>
      this.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${name}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const machineNames = Object.values(workflows.arns).map((arn) => arn.split(':').at(-1)!);
    const workflowAccess = new iam.PolicyStatement({
      actions: [
        'states:StartExecution',
        'states:DescribeExecution',
        'states:ListExecutions',
        'states:GetExecutionHistory',
      ],
      resources: [...Object.values(workflows.arns), ...machineNames.map(executionArns)],
    });
    for (const [group, fn] of api.functions)
      if (API_ACCESS[group].workflows) fn.addToRolePolicy(workflowAccess);

    // reconcile-all on a schedule.
    new events.Rule(this, 'ReconcileAllSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(settings.reconcileMinutes)),
      targets: [
        new targets.SfnStateMachine(workflows.stateMachines.get('reconcile-all')!, {
          input: events.RuleTargetInput.fromObject({ cursor: null }),
          retryAttempts: 2,
        }),
      ],
    });

    // Heartbeats: EventBridge's least rate is a minute, so each minute one Express execution beats
    // every interval for HEARTBEAT_WINDOW_SECONDS (README: "Heartbeats on AWS" for the choice and
    // its cost). A re-attach starts one for its node (the upcall group may start that one only).
    new events.Rule(this, 'HeartbeatSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.SfnStateMachine(workflows.stateMachines.get('heartbeat')!, {
          input: events.RuleTargetInput.fromObject({
            nodes: null,
            interval: settings.heartbeat.intervalSeconds,
            window: HEARTBEAT_WINDOW_SECONDS,
          }),
          retryAttempts: 2,
        }),
      ],
    });
    api.functions.get('upcall')!.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [workflows.arns.heartbeat],
      }),
    );

    new Observability(this, 'Observability', {
      stage: settings.stage,
      alarmSubscriptions: settings.alarms,
      removalPolicy: settings.removalPolicy,
      api: api.api,
      table,
      stateMachines: workflows.stateMachines,
      reconcileLogs: workflows.taskFunctions.get('ReconcileShard')!.logs,
    });

    // Startup reconciliation after each deploy that changes what it runs; the deploy fails if it does.
    new DeployStartup(this, 'StartupAfterDeploy', {
      settings,
      startupArn: workflows.arns['startup-reconcile'],
      after: [store, workflows, api],
    });

    acknowledgeNagFindings(this, { table: table, api, workflows, secretNames: Object.values(secrets) });

    new CfnOutput(this, 'ApiUrl', { value: api.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: table.tableName });
  }
}
