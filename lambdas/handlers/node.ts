// Lambda entry point for the 'node' route group: wiring only.

import { powertoolsErrorLogger } from '../adapters/logger';
import { buildGroupHandler } from '../api/build-handler';
import { nodeRoutes } from '../api/routes/node-routes';
import { awsServices } from './aws-services';

export const handler = buildGroupHandler(nodeRoutes, awsServices, powertoolsErrorLogger);
