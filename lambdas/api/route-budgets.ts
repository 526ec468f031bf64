// Each route group's time budget: its Lambda's timeout, from which the CDK stack sets the
// function and every request derives its deadline (core/timeouts.ts states the chain).
import { type TimeoutChain, timeoutChain } from '../core/timeouts';
import type { RouteGroup } from './route';

export const ROUTE_GROUP_BUDGET_SECONDS: Readonly<Record<RouteGroup, number>> = {
  // Probes and metrics read a row or two; a probe that hangs is worse than one that fails.
  status: 10,
  // The rest may wait for readiness, a workflow or an inline reconcile: as long as API Gateway lets them.
  node: 29,
  tenant: 29,
  upcall: 29,
  debug: 29,
};

export function routeTimeouts(group: RouteGroup): TimeoutChain {
  return timeoutChain('api', ROUTE_GROUP_BUDGET_SECONDS[group]);
}
