// The HTTP API: one route per entry of the route table, integrated with its group's function.
import { join } from 'node:path';
import {
  aws_apigatewayv2 as apigw,
  Duration,
  aws_apigatewayv2_integrations as integrations,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ROUTE_GROUPS, type RouteGroup } from '../../lambdas/api/route';
import { routeTimeouts } from '../../lambdas/api/route-budgets';
import { ROUTES } from '../../lambdas/api/route-table';
import type { StageSettings } from '../stage';
import { ControllerFunction } from './controller-function';
import { ROOT } from './workflows';

export interface ControllerApiProps {
  settings: StageSettings;
  environment: Record<string, string>;
}

export class ControllerApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly functions = new Map<RouteGroup, ControllerFunction>();

  constructor(scope: Construct, id: string, props: ControllerApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'HttpApi', { description: 'Storage controller API' });
    // Access logs: who called which route, with what status and latency (no headers, no bodies).
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.settings.removalPolicy,
    });
    const stage = this.api.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };
    for (const group of ROUTE_GROUPS) {
      const fn = new ControllerFunction(this, `Api-${group}`, {
        entry: join(ROOT, 'lambdas', 'handlers', `${group}.ts`),
        environment: props.environment,
        // From the group's budget: below API Gateway's integration timeout (core/timeouts.ts).
        timeout: Duration.seconds(routeTimeouts(group).lambdaTimeoutSeconds),
        removalPolicy: props.settings.removalPolicy,
      });
      this.functions.set(group, fn);
      const integration = new integrations.HttpLambdaIntegration(`${group}Integration`, fn);
      for (const route of ROUTES.filter((r) => r.group === group)) {
        this.api.addRoutes({ path: route.path, methods: [apigw.HttpMethod[route.method]], integration });
      }
    }
  }
}
