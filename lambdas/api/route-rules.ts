// API Gateway HTTP API's rules for route paths, which the local matcher would not enforce by
// itself: a table the local gateway serves happily can still fail to deploy (CreateRoute answers
// ConflictException). A test and `npm run lint` check the route table against them.
import type { RouteDef } from './route';

type RouteKey = Pick<RouteDef, 'method' | 'path'>;

const VARIABLE = /^\{([A-Za-z0-9_]+)(\+?)\}$/;

const key = (route: RouteKey) => `${route.method} ${route.path}`;

/** Why API Gateway would refuse this set of routes; empty when it would accept it. */
export function routeTableProblems(routes: readonly RouteKey[]): string[] {
  const problems: string[] = [];
  // Path prefix → the variable segment used below it, and the first route that used it.
  const variableAt = new Map<string, { segment: string; route: RouteKey }>();
  const shapes = new Map<string, RouteKey>();
  for (const route of routes) {
    if (!route.path.startsWith('/')) problems.push(`${key(route)}: a path starts with '/'`);
    const segments = route.path.split('/').slice(1);
    const shape: string[] = [];
    segments.forEach((segment, i) => {
      const variable = VARIABLE.exec(segment);
      if (!variable) {
        if (/[{}]/.test(segment))
          problems.push(`${key(route)}: segment '${segment}' is neither literal nor one whole {variable}`);
        shape.push(segment);
        return;
      }
      const greedy = variable[2] === '+';
      if (greedy && i !== segments.length - 1)
        problems.push(`${key(route)}: the greedy variable ${segment} must be the last segment`);
      shape.push(greedy ? '{+}' : '{}');
      // The resource tree is shared by every method: one variable per level below a parent.
      const parent = `/${segments.slice(0, i).join('/')}`;
      const seen = variableAt.get(parent);
      if (!seen) variableAt.set(parent, { segment, route });
      else if (seen.segment !== segment)
        problems.push(
          `The provided route key ${key(route)} has a conflicting variable on the same hierarchical level as ${key(seen.route)}`,
        );
    });
    const shapeKey = `${route.method} /${shape.join('/')}`;
    const same = shapes.get(shapeKey);
    if (same) problems.push(`${key(route)} matches the same requests as ${key(same)}`);
    else shapes.set(shapeKey, route);
  }
  return problems;
}
