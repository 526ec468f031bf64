// Lambda entry point for the 'node' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { nodeRoutes } from '../api/routes/node-routes';
import { awsServices } from './aws-services';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = buildGroupHandler(nodeRoutes, awsServices, powertoolsErrorLogger);
