// Lambda entry point for the 'status' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { statusRoutes } from '../api/routes/status-routes';
import { awsServices } from './aws-services';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = buildGroupHandler(statusRoutes, awsServices, powertoolsErrorLogger);
