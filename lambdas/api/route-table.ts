// The route table: every route of the API, in one list. The local gateway serves from it, the
// Lambda entry points dispatch from their group's slice of it, and the CDK stack builds API
// Gateway routes from it.
import type { AnyRoute, RouteGroup } from './route';
import { debugRoutes } from './routes/debug-routes';
import { nodeRoutes } from './routes/node-routes';
import { statusRoutes } from './routes/status-routes';
import { upcallRoutes } from './routes/upcall-routes';

export const ROUTES: AnyRoute[] = [...statusRoutes, ...nodeRoutes, ...upcallRoutes, ...debugRoutes];

export function routesOfGroup(group: RouteGroup): AnyRoute[] {
  return ROUTES.filter((route) => route.group === group);
}
