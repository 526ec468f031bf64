// Before any test: is there a controller at the URL, is it ready, does it take our token, and does
// it have the pageservers the suite needs? Each "no" is one sentence saying what to fix. No vitest
// here: bin/test-deployed.ts runs this before it starts vitest.
import { maySchedule } from '../../../lambdas/core/model/node';
import { call, listNodes, REQUIRED_SCHEDULABLE_NODES, type Reply, shown, type Target } from './target';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks /ready until it answers 200 or `waitSeconds` pass (0: ask once). */
async function waitUntilReady(target: Target, waitSeconds: number): Promise<void> {
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    let problem: string;
    try {
      const ready = await call(target, 'GET', '/ready', { token: null });
      if (ready.status === 200) return;
      problem =
        `${target.url}/ready answered ${shown(ready)}: ` +
        (ready.status === 503
          ? 'the controller is still starting up'
          : 'is --url the controller’s base URL?');
    } catch (error) {
      problem = `cannot reach the controller: ${(error as Error).message}; is --url right, and is it running?`;
    }
    if (Date.now() >= deadline) {
      const waited = waitSeconds > 0 ? ` (waited ${waitSeconds} s)` : ' (--wait-ready SECONDS waits for it)';
      throw new Error(`${problem}${waited}`);
    }
    await sleep(1_000);
  }
}

function authProblem(reply: Reply, hasToken: boolean): string | null {
  if (reply.status === 401 && !hasToken) {
    return 'the target has authentication on: pass --token with an admin-scope JWT (npm run token -- mint --scope admin ...)';
  }
  if (reply.status === 401 || reply.status === 403) {
    return `the target refused the token (${shown(reply)}): it must be signed with the key whose public half the target has, with scope admin`;
  }
  return null;
}

/** Throws an Error whose message says what is missing; returns when the suite can run. */
export async function preflight(target: Target, waitSeconds: number): Promise<void> {
  await waitUntilReady(target, waitSeconds);
  const problem = authProblem(await call(target, 'GET', '/control/v1/node'), target.token !== undefined);
  if (problem) throw new Error(problem);
  const nodes = await listNodes(target);
  const schedulable = nodes.filter(maySchedule);
  if (schedulable.length < REQUIRED_SCHEDULABLE_NODES) {
    const fleet = nodes.map((n) => `${n.id} (${n.availability}, ${n.scheduling})`).join(', ') || 'none';
    throw new Error(
      `the suite needs at least ${REQUIRED_SCHEDULABLE_NODES} registered pageservers that are Active and ` +
        `schedulable (scheduling Active or Filling), to migrate a shard from one to another; the target has ` +
        `${schedulable.length}. Registered: ${fleet}`,
    );
  }
}
