// Startup's announcements come after ready: the service answers while they run, and what their
// budget does not reach is marked owed and announced by reconcile-all (real ASL, DynamoDB Local).
// And a startup of a settled fleet writes no shard.
import { afterEach, expect, it } from 'vitest';
import type { AnnounceProgress } from '../../lambdas/notifications/announce-all';
import { randomTenantId, startTestApi, type TestApi } from '../support/api-stack';
import { taskHooks } from '../support/task-hooks';

let api: TestApi;
const tasks = taskHooks();
afterEach(async () => {
  tasks.reset();
  await api?.stop();
});

it('is ready while it announces; what the budget leaves is owed, and reconcile-all announces it', async () => {
  api = await startTestApi({ pageservers: 1, workflowOptions: { wrapTask: tasks.wrapTask } });
  const hook = api.stack.computeHook!;
  const tenants = [randomTenantId(), randomTenantId()];
  for (const t of tenants) await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
  await hook.waitFor((all) => all.length === 2);
  let readyWhileAnnouncing: number | null = null;
  // The budget is over before a single page: every tenant is left to reconcile-all.
  tasks.hooks.Announce = async (input) => {
    readyWhileAnnouncing = (await api.call('GET', '/ready')).status;
    const { progress } = input as { progress: AnnounceProgress };
    return { ...progress, until: Date.now(), status: 'expired' };
  };
  // As the marking ends (reconcile-all starts once startup has finished).
  let marked: Array<{ last: string | null; pending: boolean[]; announced: number }> = [];
  tasks.hooks.MarkUnannounced = async (_input, run) => {
    const out = await run();
    marked = await Promise.all(
      tenants.map(async (t) => {
        const whole = (await api.stack.services.tenants.getTenantWithShards(t))!;
        return {
          last: whole.tenant.lastComputeNotification,
          pending: whole.shards.map((s) => s.pendingComputeNotification),
          announced: hook.notifications.length,
        };
      }),
    );
    return out;
  };
  await api.stack.restartController();
  expect(readyWhileAnnouncing).toBe(200);
  expect(marked).toEqual(
    tenants.map(() => ({ last: expect.stringMatching(/^owed:/), pending: [true], announced: 2 })),
  );
  await api.stack.reconcileAllNow();
  expect(new Set(hook.notifications.slice(2).map((n) => n.body.tenant_id))).toEqual(new Set(tenants));
  for (const t of tenants) {
    const whole = (await api.stack.services.tenants.getTenantWithShards(t))!;
    expect(whole.shards.some((s) => s.pendingComputeNotification)).toBe(false);
  }
});

it('writes nothing to a shard whose node reports what is recorded', async () => {
  api = await startTestApi({ pageservers: 1 });
  const t = randomTenantId();
  await api.call('POST', '/v1/tenant', { body: { new_tenant_id: t } });
  await api.stack.reconcileAllNow();
  const id = { tenantId: t, number: 0, count: 0 };
  const before = (await api.stack.services.tenants.getShard(id))!;
  await api.stack.restartController();
  // Its node's listing says what is recorded (in another key order than DynamoDB hands back).
  expect((await api.stack.services.tenants.getShard(id))?.version).toBe(before.version);
});
