// The timeout chain, stated once. Every invocation has a budget: a task's `budgetSeconds`, a route
// group's in api/route-budgets.ts. The budget is the Lambda's timeout, and the rest follows:
//
//   code deadline  <  Lambda timeout  ≤  Lambda timeout + init limit  ≤  Task state TimeoutSeconds
//   code deadline  <  Lambda timeout  <  HTTP API integration timeout (routes)
//
// The code deadline is when the code stops waiting and answers; the reserve after it lets the
// last step in flight end inside the Lambda. A Task state times out only after its Lambda has,
// even on a cold start, so a retry never runs beside a Lambda still at work.

import { HTTP_API, LAMBDA } from './aws-limits';

/** API Gateway HTTP API gives up on an integration after 30 s (not adjustable upwards). */
export const HTTP_API_INTEGRATION_TIMEOUT_S = HTTP_API.integrationTimeoutMs / 1000;
/** A cold start's init may take this long before the function's own timeout starts. */
export const LAMBDA_INIT_LIMIT_S = LAMBDA.initLimitSeconds;

/** What is invoked: a workflow task (by a Task state) or an API route (by the HTTP API). */
export type Invoker = 'task' | 'api';

/**
 * Time kept after the code deadline. A task's covers one pageserver call started just before the
 * deadline (10 s, retries included: PageserverClient's default). A route's covers the last status
 * poll and the reply: a route's own pageserver calls start early and carry shorter deadlines.
 */
export const RESERVE_MS: Readonly<Record<Invoker, number>> = { task: 10_000, api: 4_000 };

export interface TimeoutChain {
  invoker: Invoker;
  /** From the start of the invocation until the code must answer. */
  codeBudgetMs: number;
  /** The function's configured timeout. */
  lambdaTimeoutSeconds: number;
  /**
   * For a task: the least TimeoutSeconds a Task state invoking it may have. For a route: the
   * integration timeout its Lambda must stay below.
   */
  outerTimeoutSeconds: number;
}

/** The whole chain from one budget; throws for a budget the chain cannot fit. */
export function timeoutChain(invoker: Invoker, budgetSeconds: number): TimeoutChain {
  if (!Number.isInteger(budgetSeconds) || budgetSeconds * 1000 <= RESERVE_MS[invoker])
    throw new Error(
      `a ${invoker} budget must be whole seconds above its ${RESERVE_MS[invoker]} ms reserve, got ${budgetSeconds}`,
    );
  if (invoker === 'api' && budgetSeconds >= HTTP_API_INTEGRATION_TIMEOUT_S)
    throw new Error(
      `a route budget must stay below API Gateway's ${HTTP_API_INTEGRATION_TIMEOUT_S} s, got ${budgetSeconds}`,
    );
  return {
    invoker,
    codeBudgetMs: budgetSeconds * 1000 - RESERVE_MS[invoker],
    lambdaTimeoutSeconds: budgetSeconds,
    outerTimeoutSeconds:
      invoker === 'task' ? budgetSeconds + LAMBDA_INIT_LIMIT_S : HTTP_API_INTEGRATION_TIMEOUT_S,
  };
}

/** What the deployed figures break of the chain: empty when they nest. */
export function chainProblems(deployed: {
  invoker: Invoker;
  codeBudgetMs: number;
  lambdaTimeoutSeconds: number;
  /** The Task state's TimeoutSeconds, or the integration timeout. */
  outerTimeoutSeconds: number;
}): string[] {
  const { invoker, codeBudgetMs, lambdaTimeoutSeconds: lambda, outerTimeoutSeconds: outer } = deployed;
  const problems: string[] = [];
  if (!(codeBudgetMs < lambda * 1000))
    problems.push(`code budget ${codeBudgetMs} ms is not below the Lambda timeout ${lambda} s`);
  if (invoker === 'task' && outer < lambda + LAMBDA_INIT_LIMIT_S)
    problems.push(
      `TimeoutSeconds ${outer} is below the Lambda timeout ${lambda} s + ${LAMBDA_INIT_LIMIT_S} s init`,
    );
  if (invoker === 'api' && !(lambda < outer))
    problems.push(`Lambda timeout ${lambda} s is not below the integration timeout ${outer} s`);
  return problems;
}
