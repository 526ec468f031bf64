// Lambda entry point for the 'debug' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { debugRoutes } from '../api/routes/debug-routes';
import { workflowRoutes } from '../api/routes/workflow-routes';
import { awsServices } from './aws-services';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = buildGroupHandler(
  [...debugRoutes, ...workflowRoutes],
  awsServices,
  powertoolsErrorLogger,
);
