// Lambda entry point for the 'status' route group: wiring only.

import { powertoolsErrorLogger } from '../adapters/logger';
import { buildGroupHandler } from '../api/build-handler';
import { statusRoutes } from '../api/routes/status-routes';
import { awsServices } from './aws-services';

export const handler = buildGroupHandler(statusRoutes, awsServices, powertoolsErrorLogger);
