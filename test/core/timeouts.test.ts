// The timeout chain from one budget: code deadline < Lambda timeout ≤ Lambda timeout + init ≤ Task
// TimeoutSeconds for tasks, and a route's Lambda below API Gateway's 30 s; budgets that cannot
// nest are refused, and deployed figures that do not nest are named.
import { describe, expect, it } from 'vitest';
import { ROUTE_GROUPS } from '../../lambdas/api/route';
import { ROUTE_GROUP_BUDGET_SECONDS, routeTimeouts } from '../../lambdas/api/route-budgets';
import {
  chainProblems,
  HTTP_API_INTEGRATION_TIMEOUT_S,
  LAMBDA_INIT_LIMIT_S,
  timeoutChain,
} from '../../lambdas/core/timeouts';
import { TASK_LIST } from '../../lambdas/tasks/registry';

describe('timeoutChain', () => {
  it('derives a task chain from its budget: code deadline, Lambda timeout, least TimeoutSeconds', () => {
    expect(timeoutChain('task', 25)).toEqual({
      invoker: 'task',
      codeBudgetMs: 15_000,
      lambdaTimeoutSeconds: 25,
      outerTimeoutSeconds: 25 + LAMBDA_INIT_LIMIT_S,
    });
  });

  it("derives a route chain that stays below API Gateway's integration timeout", () => {
    expect(timeoutChain('api', 29)).toEqual({
      invoker: 'api',
      codeBudgetMs: 25_000,
      lambdaTimeoutSeconds: 29,
      outerTimeoutSeconds: HTTP_API_INTEGRATION_TIMEOUT_S,
    });
  });

  it('refuses budgets that cannot nest', () => {
    expect(() => timeoutChain('api', 30)).toThrow(/below API Gateway's 30 s/);
    expect(() => timeoutChain('task', 10)).toThrow(/above its 10000 ms reserve/);
    expect(() => timeoutChain('api', 4)).toThrow(/above its 4000 ms reserve/);
    expect(() => timeoutChain('task', 25.5)).toThrow(/whole seconds/);
  });

  it('nests for every registered task and every route group', () => {
    for (const task of TASK_LIST)
      expect(chainProblems(timeoutChain('task', task.budgetSeconds)), task.name).toEqual([]);
    for (const group of ROUTE_GROUPS) {
      const chain = routeTimeouts(group);
      expect(chainProblems(chain), group).toEqual([]);
      expect(chain.lambdaTimeoutSeconds).toBe(ROUTE_GROUP_BUDGET_SECONDS[group]);
      expect(chain.lambdaTimeoutSeconds).toBeLessThan(HTTP_API_INTEGRATION_TIMEOUT_S);
    }
  });
});

describe('chainProblems', () => {
  it('names each link that does not nest', () => {
    const task = timeoutChain('task', 25);
    // The defect this guards against: a Task state 10 s below its 25 s Lambda.
    expect(chainProblems({ ...task, outerTimeoutSeconds: 10 })).toEqual([
      'TimeoutSeconds 10 is below the Lambda timeout 25 s + 10 s init',
    ]);
    expect(chainProblems({ ...task, outerTimeoutSeconds: 34 })).toHaveLength(1);
    expect(chainProblems({ ...task, outerTimeoutSeconds: 35 })).toEqual([]);
    // ReconcileShard's old 50 s deadline inside its 25 s Lambda.
    expect(chainProblems({ ...task, codeBudgetMs: 50_000 })).toEqual([
      'code budget 50000 ms is not below the Lambda timeout 25 s',
    ]);
    expect(chainProblems({ ...timeoutChain('api', 29), lambdaTimeoutSeconds: 30 })).toEqual([
      'Lambda timeout 30 s is not below the integration timeout 30 s',
    ]);
  });
});
