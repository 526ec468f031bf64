// The modern migrate request (later-features.md E1): origin_node_id, migration_config with prewarm
// (a warm secondary first, then the cut-over), its timeouts, and an operator's cancel during the
// warm-up. Through the real migrate ASL and task handlers, against simulated pageservers.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const { hooks, wrapTask, reset } = taskHooks();

async function start(pageservers: number) {
  reset();
  api = await startTestApi({ pageservers, workflowOptions: { retryIntervalMs: 10, wrapTask } });
}

async function create(extra: Record<string, unknown> = {}): Promise<string> {
  const t = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t, ...extra } });
  expect(res.status, res.text).toBe(201);
  await api.call('POST', `/v1/tenant/${t}/timeline`, {
    body: { new_timeline_id: 'de200bd42b49cc1814412c7e592dd6e9' },
  });
  return t;
}

const migrate = (shard: string, body: Record<string, unknown>) =>
  api.call('PUT', `/control/v1/tenant/${shard}/migrate`, { body });
const attachedNode = async (t: string) =>
  ((await api.call('GET', `/control/v1/tenant/${t}`)).body as { shards: Array<{ node_attached: number }> })
    .shards[0]!.node_attached;
const modesOn = (node: number) =>
  api.stack.fleet
    .byId(node)
    .locations()
    .map((l) => l.conf.mode);

/** Records the order in which the migration's tasks ran. */
function recordTasks(names: string[]): string[] {
  const seen: string[] = [];
  for (const name of names)
    hooks[name] = async (_input, run) => {
      seen.push(name);
      return run();
    };
  return seen;
}

describe('migrate: the modern request', () => {
  it('with prewarm, makes the destination a warm Secondary first, then cuts over', async () => {
    await start(2);
    const t = await create();
    const origin = await attachedNode(t);
    const dest = origin === 1 ? 2 : 1;
    const seen = recordTasks(['PrepareSecondary', 'CheckWarm', 'StaleOrigin', 'AttachDestination']);
    // The first downloads do not finish (paused, as the reference's failpoint does): not warm yet.
    api.stack.fleet.byId(dest).faults.add({ path: 'secondary/download', status: 500, count: 2 });
    let secondaryBeforeCutOver: string[] = [];
    hooks.StaleOrigin = async (_input, run) => {
      seen.push('StaleOrigin');
      secondaryBeforeCutOver = modesOn(dest);
      return run();
    };
    const res = await migrate(t, {
      node_id: dest,
      origin_node_id: origin,
      migration_config: { prewarm: true, secondary_download_request_timeout: '2s' },
    });
    expect(res, res.text).toMatchObject({ status: 200, body: {} });
    expect(secondaryBeforeCutOver).toEqual(['Secondary']);
    // Polled until a download completed (two failed, the third warmed it), then the cut-over.
    expect(seen).toEqual([
      'PrepareSecondary',
      'CheckWarm',
      'CheckWarm',
      'CheckWarm',
      'StaleOrigin',
      'AttachDestination',
    ]);
    expect(modesOn(dest)).toEqual(['AttachedSingle']);
    expect(modesOn(origin)).toEqual([]);
    await expectConsistent(api);
  });

  it('cuts over once the warm-up timeout passes, warm or not', async () => {
    await start(2);
    const t = await create();
    const dest = (await attachedNode(t)) === 1 ? 2 : 1;
    api.stack.fleet.byId(dest).faults.add({ path: 'secondary/download', status: 500 });
    const res = await migrate(t, {
      node_id: dest,
      migration_config: { secondary_warmup_timeout: '0s', secondary_download_request_timeout: '1s' },
    });
    expect(res, res.text).toMatchObject({ status: 200, body: {} });
    expect(modesOn(dest)).toEqual(['AttachedSingle']);
    await expectConsistent(api);
  });

  it('without migration_config cuts over at once (no secondary step), as the original', async () => {
    await start(2);
    const t = await create();
    const dest = (await attachedNode(t)) === 1 ? 2 : 1;
    const seen = recordTasks(['PrepareSecondary', 'CheckWarm', 'StaleOrigin']);
    expect((await migrate(t, { node_id: dest, some_future_field: 1 })).status).toBe(200);
    expect(seen).toEqual(['StaleOrigin']);
  });

  it('refuses an origin_node_id that is not where the shard is attached (409), and bad timeouts (400)', async () => {
    await start(3);
    const t = await create();
    const origin = await attachedNode(t);
    const [dest, wrong] = [1, 2, 3].filter((n) => n !== origin) as [number, number];
    const refused = await migrate(t, { node_id: dest, origin_node_id: wrong });
    expect(refused.status, refused.text).toBe(409);
    expect((refused.body as { msg: string }).msg).toBe(
      `Conflict: Migration expected to originate from node ${wrong}, but shard ${t} is attached to node ${origin}`,
    );
    const long = await migrate(t, { node_id: dest, migration_config: { secondary_warmup_timeout: '1h' } });
    expect(long.status).toBe(400);
    expect((long.body as { msg: string }).msg).toContain('secondary_warmup_timeout: at most 600s');
    const garbled = await migrate(t, {
      node_id: dest,
      migration_config: { secondary_warmup_timeout: 'soon' },
    });
    expect(garbled.status).toBe(400);
    expect((garbled.body as { msg: string }).msg).toContain('migration_config.secondary_warmup_timeout');
    expect(await attachedNode(t)).toBe(origin);
  });

  it('refuses under the lease when the shard moved after the request looked (PreconditionFailed → 409)', async () => {
    await start(3);
    const t = await create();
    const origin = await attachedNode(t);
    const [dest, other] = [1, 2, 3].filter((n) => n !== origin) as [number, number];
    // Another migration moves it between the route's check and the workflow's.
    let moved = false;
    hooks.BeginMigration = async (_input, run) => {
      if (!moved) {
        moved = true;
        const first = await migrate(t, { node_id: other });
        expect(first.status).toBe(200);
      }
      return run();
    };
    const res = await migrate(t, { node_id: dest, origin_node_id: origin });
    expect(res.status, res.text).toBe(409);
    expect((res.body as { msg: string }).msg).toContain(`is attached to node ${other}`);
    expect(await attachedNode(t)).toBe(other);
    await expectConsistent(api);
  });

  it('passes override_scheduler on to the execution', async () => {
    await start(2);
    const t = await create();
    const dest = (await attachedNode(t)) === 1 ? 2 : 1;
    expect(
      (await migrate(t, { node_id: dest, migration_config: { prewarm: false, override_scheduler: true } }))
        .status,
    ).toBe(200);
    const executions = (await api.call('GET', '/debug/v1/workflows')).body as Array<{
      workflow: string;
      input: { migration: { override_scheduler: boolean; prewarm: boolean } };
    }>;
    expect(executions.find((e) => e.workflow === 'migrate')?.input.migration).toMatchObject({
      override_scheduler: true,
      prewarm: false,
    });
  });

  it('an operator cancel during the warm-up aborts: the shard stays on its origin, one attached location', async () => {
    await start(2);
    const t = await create();
    const origin = await attachedNode(t);
    const dest = origin === 1 ? 2 : 1;
    api.stack.fleet.byId(dest).faults.add({ path: 'secondary/download', status: 500 });
    let warming: () => void = () => undefined;
    const polled = new Promise<void>((resolve) => {
      warming = resolve;
    });
    hooks.CheckWarm = async (_input, run) => {
      warming();
      return run();
    };
    const running = migrate(t, {
      node_id: dest,
      migration_config: { secondary_download_request_timeout: '1s' },
    });
    await polled;
    expect(modesOn(dest)).toEqual(['Secondary']);
    const cancel = await api.call('PUT', `/control/v1/tenant/${t}/cancel_reconcile`);
    expect(cancel, cancel.text).toMatchObject({ status: 200, body: null });
    const res = await running;
    expect(res.status, res.text).toBe(409);
    expect((res.body as { msg: string }).msg).toContain('cancelled by an operator');
    api.stack.fleet.byId(dest).faults.clear();
    await api.call('POST', '/debug/v1/reconcile_all');
    expect(await attachedNode(t)).toBe(origin);
    expect(modesOn(origin)).toEqual(['AttachedSingle']);
    expect(modesOn(dest)).toEqual([]);
    await expectConsistent(api);
  });
});
