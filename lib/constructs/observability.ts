// A dashboard and alarms: API errors and latency, workflow failures and durations, reconcile
// errors (from the ReconcileShard task's structured logs), DynamoDB throttles, and the figures
// /metrics shows, as the functions' EMF metrics. Every alarm notifies one SNS topic (encrypted,
// TLS only) whose email and HTTPS subscribers come from the stage's config file.
import {
  aws_cloudwatch_actions as actions,
  type aws_apigatewayv2 as apigw,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  type RemovalPolicy,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { WorkflowName } from '../../lambdas/core/ports';

export interface ObservabilityProps {
  stage: string;
  /** Who the alarms notify (config/<stage>.json). */
  alarmSubscriptions: { emails: string[]; httpsUrls: string[] };
  /** For the topic's key: gone with a dev stack (after KMS's 7-day wait), kept elsewhere. */
  removalPolicy: RemovalPolicy;
  api: apigw.HttpApi;
  table: dynamodb.TableV2;
  stateMachines: Map<WorkflowName, sfn.StateMachine>;
  /** Log group of the ReconcileShard task, whose lines carry {"message":"reconcile","status":...}. */
  reconcileLogs: logs.ILogGroup;
}

export const METRICS_NAMESPACE = 'StorageController';

/** The EMF metrics the functions write (lambdas/handlers/emf.ts), all series of one name. */
function emfSearch(
  stage: string,
  metricName: string,
  dimensions: string[],
  label: string,
  statistic = 'Sum',
) {
  const schema = ['service', 'stage', ...dimensions].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${schema}} MetricName="${metricName}" stage="${stage}"', '${statistic}', 300)`,
    usingMetrics: {},
    label,
    period: Duration.minutes(5),
  });
}

export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const period = Duration.minutes(5);
    // CloudWatch alarms can publish to an encrypted topic only with a customer managed key that
    // lets CloudWatch use it.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the storage controller ${props.stage} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(7),
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `storage-controller ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.alarmSubscriptions.emails)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const url of props.alarmSubscriptions.httpsUrls)
      this.alarmTopic.addSubscription(
        new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }),
      );
    const notify = new actions.SnsAction(this.alarmTopic);
    const reconcileErrors = new logs.MetricFilter(this, 'ReconcileErrors', {
      logGroup: props.reconcileLogs,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', 'reconcile'),
        logs.FilterPattern.stringValue('$.status', '=', 'error'),
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: `ReconcileErrors-${props.stage}`,
      metricValue: '1',
      defaultValue: 0,
    }).metric({ statistic: 'Sum', period });

    const api5xx = props.api.metricServerError({ period, statistic: 'Sum' });
    const api4xx = props.api.metricClientError({ period, statistic: 'Sum' });
    const latency = props.api.metricLatency({ period, statistic: 'p99' });
    const throttles = props.table.metricThrottledRequestsForOperations({
      operations: [
        dynamodb.Operation.GET_ITEM,
        dynamodb.Operation.PUT_ITEM,
        dynamodb.Operation.UPDATE_ITEM,
        dynamodb.Operation.QUERY,
        dynamodb.Operation.TRANSACT_WRITE_ITEMS,
      ],
      period,
    });
    const machines = [...props.stateMachines.entries()];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `storage-controller-${props.stage}`,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'API errors', left: [api4xx, api5xx] }),
      new cloudwatch.GraphWidget({ title: 'API latency p99', left: [latency] }),
      new cloudwatch.GraphWidget({ title: 'Reconcile errors', left: [reconcileErrors] }),
      new cloudwatch.GraphWidget({ title: 'DynamoDB throttles', left: [throttles] }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Requests by route and status (EMF)',
        left: [
          emfSearch(props.stage, 'storage_controller_http_requests_total', ['route', 'status'], 'requests'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Request latency p99 by route (EMF)',
        left: [
          emfSearch(
            props.stage,
            'storage_controller_http_request_duration_seconds',
            ['route', 'status'],
            'latency',
            'p99',
          ),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciles and compute notifications (EMF)',
        left: [
          emfSearch(props.stage, 'storage_controller_reconcile_spawn', [], 'reconciles started'),
          emfSearch(props.stage, 'storage_controller_reconcile_complete', ['status'], 'reconciles'),
          emfSearch(props.stage, 'storage_controller_compute_notifications', ['result'], 'notifications'),
          emfSearch(props.stage, 'storage_controller_scheduling_errors', [], 'scheduling errors'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Workflow failures',
        left: machines.map(([name, m]) => m.metricFailed({ period, statistic: 'Sum', label: name })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Workflow durations p90',
        left: machines.map(([name, m]) => m.metricTime({ period, statistic: 'p90', label: name })),
      }),
    );

    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(notify);
      this.alarms.push(created);
    };
    alarm('Api5xx', api5xx, 5, 'The API answered 5xx at least 5 times in each of two 5-minute periods.');
    alarm(
      'ReconcileErrorsAlarm',
      reconcileErrors,
      10,
      'Reconciles keep failing: a pageserver may be down or refusing.',
    );
    alarm('Throttles', throttles, 1, 'DynamoDB throttled requests.');
    for (const [name, machine] of machines) {
      alarm(
        `Workflow-${name}-Failed`,
        machine.metricFailed({ period, statistic: 'Sum' }),
        1,
        `${name} executions failed.`,
      );
    }
  }
}
