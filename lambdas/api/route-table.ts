// The route table: every route of the API, in one list. The local gateway serves from it, the
// Lambda entry points dispatch from their group's slice of it, the CDK stack builds API Gateway
// routes from it, and /openapi.json describes it.
import type { AnyRoute, RouteGroup } from './route';
import { controlTenantRoutes } from './routes/control-tenant-routes';
import { debugRoutes } from './routes/debug-routes';
import { executionRoutes } from './routes/execution-routes';
import { nodeOperationRoutes } from './routes/node-operation-routes';
import { nodeRoutes } from './routes/node-routes';
import { openApiRoute } from './routes/openapi-route';
import { preferredAzsRoute } from './routes/placement-routes';
import { shardRoutes } from './routes/shard-routes';
import { statusRoutes } from './routes/status-routes';
import { tenantRoutes } from './routes/tenant-routes';
import { upcallRoutes } from './routes/upcall-routes';
import { migrateRoute, shardSplitRoute, workflowRoutes } from './routes/workflow-routes';

export const ROUTES: AnyRoute[] = [
  ...statusRoutes,
  openApiRoute(() => ROUTES),
  ...nodeRoutes,
  ...nodeOperationRoutes,
  ...tenantRoutes,
  ...controlTenantRoutes,
  shardSplitRoute,
  migrateRoute,
  ...shardRoutes,
  preferredAzsRoute,
  ...upcallRoutes,
  ...debugRoutes,
  ...workflowRoutes,
  ...executionRoutes,
];

export function routesOfGroup(group: RouteGroup): AnyRoute[] {
  return ROUTES.filter((route) => route.group === group);
}
