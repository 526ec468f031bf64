// Lambda entry point for the 'upcall' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { upcallRoutes } from '../api/routes/upcall-routes';
import { awsServices } from './aws-services';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = buildGroupHandler(upcallRoutes, awsServices, powertoolsErrorLogger);
