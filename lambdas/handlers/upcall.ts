// Lambda entry point for the 'upcall' route group: wiring only.

import { powertoolsErrorLogger } from '../adapters/logger';
import { buildGroupHandler } from '../api/build-handler';
import { upcallRoutes } from '../api/routes/upcall-routes';
import { awsServices } from './aws-services';

export const handler = buildGroupHandler(upcallRoutes, awsServices, powertoolsErrorLogger);
