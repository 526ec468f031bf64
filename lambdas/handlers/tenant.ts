// Lambda entry point for the 'tenant' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { controlTenantRoutes } from '../api/routes/control-tenant-routes';
import { tenantRoutes } from '../api/routes/tenant-routes';
import { migrateRoute, shardSplitRoute } from '../api/routes/workflow-routes';
import { awsServices } from './aws-services';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = buildGroupHandler(
  [...tenantRoutes, ...controlTenantRoutes, shardSplitRoute, migrateRoute],
  awsServices,
  powertoolsErrorLogger,
);
