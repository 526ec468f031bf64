// Lambda entry point for the 'debug' route group: wiring only.

import { buildGroupHandler } from '../api/build-handler';
import { routesOfGroup } from '../api/route-table';
import { awsServices } from './aws-services';
import { flushingMetrics } from './emf';
import { powertoolsErrorLogger } from './powertools-logger';

export const handler = flushingMetrics(
  buildGroupHandler(routesOfGroup('debug'), awsServices, powertoolsErrorLogger),
);
