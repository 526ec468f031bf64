// Routes that wait for a workflow answer by their request's deadline, readiness wait included: 202
// with the execution (and where to follow it) while it runs on; a failed workflow's message is
// the error's message, never a Lambda trace.
import { afterEach, describe, expect, it } from 'vitest';
import { PageserverRefusedError } from '../../lambdas/core/workflow-errors';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const { hooks, wrapTask, reset } = taskHooks();

/** A request budget of 1.5 s stands for the 25 s a 29 s Lambda leaves its code. */
async function start(options: { readinessWaitMs?: number } = {}) {
  reset();
  api = await startTestApi({
    pageservers: 2,
    pageserverTimeoutMs: 1000,
    requestBudgetMs: 1_500,
    ...options,
    // Task errors reach the runner as Lambda's reach Step Functions: a JSON cause with a trace.
    workflowOptions: {
      retryIntervalMs: 10,
      wrapTask,
    },
  });
}

async function create(): Promise<string> {
  const t = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
  expect(res.status, res.text).toBe(201);
  return t;
}

/**
 * Holds a task until released, or for 8 s at most: a route still waiting on the workflow then
 * answers 200 (finished) instead of hanging the test.
 */
function hold(task: string) {
  let release!: () => void;
  const opened = new Promise<void>((r) => {
    release = r;
    setTimeout(r, 8_000);
  });
  hooks[task] = async (_input, run) => {
    await opened;
    return run();
  };
  return { release };
}

const migrate = (shard: string, node: number) =>
  api.call('PUT', `/control/v1/tenant/${shard}/migrate`, { body: { node_id: node } });
const split = (t: string, count: number) =>
  api.call('PUT', `/control/v1/tenant/${t}/shard_split`, { body: { new_shard_count: count } });

async function executionAt(location: string) {
  const res = await api.call('GET', location);
  expect(res.status, res.text).toBe(200);
  return res.body as { id: string; status: string };
}

async function waitForStop(location: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { status } = await executionAt(location);
    if (status !== 'RUNNING') return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${location} still running`);
}

describe('a route whose workflow outlasts the request budget', () => {
  it('migrate answers 202 with the execution id and its Location while the migration runs on', async () => {
    await start();
    const t = await create();
    const held = hold('AttachDestination');
    const res = await migrate(t, 2);
    expect(res.status, res.text).toBe(202);
    const { execution_id: id } = res.body as { execution_id: string };
    const location = res.headers.get('location')!;
    expect(await executionAt(location)).toMatchObject({ id, status: 'RUNNING' });
    held.release();
    expect(await waitForStop(location)).toBe('SUCCEEDED');
    expect((await migrate(t, 2)).status).toBe(200);
  });

  it('split answers 202 with the execution id and its Location while the split runs on', async () => {
    await start();
    const t = await create();
    const held = hold('SplitParent');
    const res = await split(t, 2);
    expect(res.status, res.text).toBe(202);
    const { execution_id: id } = res.body as { execution_id: string };
    const location = res.headers.get('location')!;
    expect(await executionAt(location)).toMatchObject({ id, status: 'RUNNING' });
    held.release();
    expect(await waitForStop(location)).toBe('SUCCEEDED');
    expect((await split(t, 2)).status).toBe(200);
  });

  it('counts the readiness wait against the budget: not ready by the deadline is 408, nothing started', async () => {
    await start({ readinessWaitMs: 10_000 });
    const t = await create();
    await api.stack.services.meta.beginStartup('later-epoch');
    // Ready again only after the request's budget: a readiness wait of its own would outlast it.
    const ready = new Promise<void>((resolve) =>
      setTimeout(() => void api.stack.services.meta.markReady('later-epoch').then(resolve), 4_000),
    );
    const res = await split(t, 2);
    expect(res.status, res.text).toBe(408);
    await ready;
    const started = (await api.call('GET', '/debug/v1/workflows?status=RUNNING')).body as unknown[];
    const all = (await api.call('GET', '/debug/v1/workflows')).body as Array<{ workflow: string }>;
    expect(started).toEqual([]);
    expect(all.filter((e) => e.workflow === 'shard-split')).toEqual([]);
  });
});

describe('a failed workflow', () => {
  it("answers a migration's failure with the error's message, without a trace", async () => {
    await start();
    const t = await create();
    hooks.AttachDestination = async () => {
      throw new PageserverRefusedError('location_config AttachedMulti on node 2: 409 conflict');
    };
    const res = await migrate(t, 2);
    expect(res.status, res.text).toBe(409);
    expect(res.body).toEqual({
      msg: `Conflict: Migration of ${t} to node 2 failed and was rolled back: location_config AttachedMulti on node 2: 409 conflict`,
    });
  });

  it("answers a split's failure with the error's message, without a trace", async () => {
    await start();
    const t = await create();
    hooks.SplitParent = async () => {
      throw new PageserverRefusedError('split on node 1: 400 bad stripe');
    };
    const res = await split(t, 2);
    expect(res.status, res.text).toBe(409);
    expect(res.body).toEqual({ msg: 'Conflict: split on node 1: 400 bad stripe' });
  });
});
