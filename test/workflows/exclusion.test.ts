// One lease model: an operation on a tenant (split, delete, timeline operations) excludes
// operations on its shards (reconcile, migration), and the reverse; what a crash interrupts is
// finished or aborted by the next start, and a stop does not wait for running workflows.
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalWorkflowRunner } from '../../local/workflow-runner';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const { hooks, wrapTask, reset } = taskHooks();

async function start(pageservers: number) {
  reset();
  api = await startTestApi({
    pageservers,
    pageserverTimeoutMs: 1000,
    workflowOptions: { retryIntervalMs: 10, wrapTask },
  });
}

async function create(): Promise<string> {
  const t = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
  expect(res.status, res.text).toBe(201);
  return t;
}

/** Holds a task until released; `entered` resolves once the workflow reaches it. */
function gate(task: string) {
  let release!: () => void;
  const opened = new Promise<void>((r) => {
    release = r;
  });
  let enter!: () => void;
  const entered = new Promise<void>((r) => {
    enter = r;
  });
  hooks[task] = async (_input, run) => {
    enter();
    await opened;
    return run();
  };
  return { entered, release };
}

const split = (t: string, count: number) =>
  api.call('PUT', `/control/v1/tenant/${t}/shard_split`, { body: { new_shard_count: count } });
/** A repeat split answers 200 with the children once the split is done (409 while it runs). */
async function waitForSplit(t: string, count: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const res = await split(t, count);
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`tenant ${t} did not finish splitting`);
}

const migrate = (shard: string, node: number) =>
  api.call('PUT', `/control/v1/tenant/${shard}/migrate`, { body: { node_id: node } });

describe('tenant and shard operations exclude each other', () => {
  it('never splits while a migration of one of its shards runs; the split goes ahead once it is done', async () => {
    await start(2);
    const t = await create();
    const held = gate('AttachDestination');
    const migrating = migrate(t, 2);
    await held.entered;
    const splitting = split(t, 2);
    // While the migration holds its shard, the split's workflow waits for the lease (and would
    // fail if it stayed busy): nothing of the split may happen meanwhile.
    await new Promise((r) => setTimeout(r, 3_000));
    const meanwhile = (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
      shards: Array<{ tenant_shard_id: string; is_splitting: boolean }>;
    };
    expect(meanwhile.shards.map((s) => [s.tenant_shard_id, s.is_splitting])).toEqual([[t, false]]);
    held.release();
    expect((await migrating).status).toBe(200);
    expect([200, 202]).toContain((await splitting).status);
    await waitForSplit(t, 2);
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  });

  it('refuses a migration while the tenant splits, and the split completes untouched', async () => {
    await start(2);
    const t = await create();
    const held = gate('SplitParent');
    const splitting = split(t, 2);
    await held.entered;
    const refused = await migrate(t, 2);
    expect(refused.status, refused.text).toBe(409);
    held.release();
    expect((await splitting).status).toBe(200);
    const holders = api.stack.fleet.pageservers.flatMap((p) =>
      p.locations().map((l) => [p.nodeId, l.shard, l.conf.mode]),
    );
    expect(holders).toEqual([
      [1, `${t}-0002`, 'AttachedSingle'],
      [1, `${t}-0102`, 'AttachedSingle'],
    ]);
    await api.stack.reconcileAllNow();
    await expectConsistent(api);
  });
});

describe('interrupted workflows', () => {
  it('aborts a split cut short by a controller crash: the tenant works again after the restart', async () => {
    await start(1);
    const t = await create();
    const held = gate('SplitParent');
    const splitting = split(t, 2).catch(() => null);
    await held.entered;
    // The crash: executions end where they are, without their abort path. The held task is
    // never released (a released zombie would go on to split on the pageserver).
    await api.stack.restartController();
    await splitting;
    delete hooks.SplitParent;
    await api.stack.reconcileAllNow();
    const described = (await api.call('GET', `/control/v1/tenant/${t}`)).body as {
      shards: Array<{ tenant_shard_id: string; is_splitting: boolean }>;
    };
    expect(described.shards.map((s) => [s.tenant_shard_id, s.is_splitting])).toEqual([[t, false]]);
    const timeline = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
    });
    expect(timeline.status, timeline.text).toBe(201);
    expect((await split(t, 2)).status).toBe(200);
    await expectConsistent(api);
  });

  it('restarts without waiting for a running migration, and reconciles the shard it left', async () => {
    await start(2);
    const t = await create();
    const held = gate('CheckCatchUp');
    const migrating = migrate(t, 2).catch(() => null);
    await held.entered;
    // The migration is held and never released: a restart that waited for running executions
    // would never return (the test would time out here).
    await api.stack.restartController();
    await migrating;
    await api.stack.reconcileAllNow();
    await api.stack.reconcileAllNow();
    const attached = api.stack.fleet.pageservers.filter((p) =>
      p.locations().some((l) => l.shard === t && l.conf.mode === 'AttachedSingle'),
    );
    expect(attached).toHaveLength(1);
    await expectConsistent(api);
  });

  it('a timeline create frees the shard of a migration whose execution was stopped (no wait for its lease)', async () => {
    await start(2);
    const t = await create();
    const held = gate('CheckCatchUp');
    const migrating = migrate(t, 2).catch(() => null);
    await held.entered;
    // On AWS an execution can end without its abort path (a timeout, a manual stop): no restart,
    // no reconcile runs, and the migration's lease would last 20 minutes. The create must find
    // its holder dead rather than answer 503 until then.
    (api.stack.services.workflows as LocalWorkflowRunner).abortAll();
    await migrating;
    const timeline = await api.call('POST', `/v1/tenant/${t}/timeline`, {
      body: { new_timeline_id: '0f1a2b3c4d5e6f708192a3b4c5d6e7f8' },
    });
    expect(timeline.status, timeline.text).toBe(201);
  });

  it('a task of a migration taken over after a crash does nothing (a zombie does not demote the holder)', async () => {
    await start(2);
    const t = await create();
    const held = gate('FinishMigration');
    const migrating = migrate(t, 2).catch(() => null);
    await held.entered;
    await api.stack.restartController();
    await migrating;
    delete hooks.FinishMigration;
    // The next start takes the shard over, and a new migration moves it back to node 1.
    await api.stack.reconcileAllNow();
    const back = await migrate(t, 1);
    expect(back.status, back.text).toBe(200);
    // The zombie's FinishMigration runs now, for the dead execution: it would demote node 1.
    held.release();
    await new Promise((r) => setTimeout(r, 1_000));
    const modes = api.stack.fleet.pageservers.map((p) => [
      p.nodeId,
      p.locations().find((l) => l.shard === t)?.conf.mode ?? 'none',
    ]);
    expect(modes).toEqual([
      [1, 'AttachedSingle'],
      [2, 'none'],
    ]);
    await expectConsistent(api);
  });
});
