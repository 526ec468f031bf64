// Figures for the workflows on the local stack: a 4 → 8 split, one live migration, and what a
// reconcile-all pass reads with 0 and with 10 dirty shards out of 1 000. Prints, never asserts.
import { randomUUID } from 'node:crypto';
import { attachedConf } from '../lambdas/core/model/location-config';
import type { TenantShard } from '../lambdas/core/model/tenant-shard';
import { startLocalStack } from '../local/stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const hex = () => randomUUID().replace(/-/g, '');

const stack = await startLocalStack({
  host: '127.0.0.1',
  port: 0,
  pageservers: 8,
  reconcileIntervalSeconds: 3600,
  tableName: `bench-${hex()}`,
});
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};

try {
  // Split 4 → 8.
  const t = hex();
  await call('POST', '/v1/tenant', { new_tenant_id: t, shard_parameters: { count: 4, stripe_size: 128 } });
  let started = performance.now();
  const split = await call('PUT', `/control/v1/tenant/${t}/shard_split`, { new_shard_count: 8 });
  const splitMs = performance.now() - started;
  const executions = await stack.services.workflows.list({ limit: 100 });
  const splitExec = executions.find((e) => e.workflow === 'shard-split')!;
  const splitEvents = (await stack.services.workflows.history(splitExec.id)).length;
  console.log(
    `split 4 → 8: HTTP ${split.status} in ${splitMs.toFixed(0)} ms, 1 execution, ${splitEvents} events`,
  );

  // One live migration to a node the tenant does not use.
  const located = (
    (await call('GET', `/control/v1/tenant/${t}/locate`)).body as {
      shards: Array<{ shard_id: string; node_id: number }>;
    }
  ).shards;
  const used = new Set(located.map((s) => s.node_id));
  const target = [1, 2, 3, 4, 5, 6, 7, 8].find((n) => !used.has(n))!;
  started = performance.now();
  const migrate = await call('PUT', `/control/v1/tenant/${located[0]!.shard_id}/migrate`, {
    node_id: target,
  });
  const migrateMs = performance.now() - started;
  const migrateExec = (await stack.services.workflows.list({ limit: 100 })).find(
    (e) => e.workflow === 'migrate',
  )!;
  const migrateEvents = (await stack.services.workflows.history(migrateExec.id)).length;
  console.log(
    `migration: HTTP ${migrate.status} in ${migrateMs.toFixed(0)} ms, 1 execution, ${migrateEvents} events`,
  );

  // 1 000 converged single-shard tenants, written straight to the store.
  const nodes = await stack.services.nodes.list();
  const shards: TenantShard[] = [];
  for (let i = 0; i < 1000; i++) {
    const node = nodes[i % nodes.length]!.id;
    const id = { tenantId: hex(), number: 0, count: 0 };
    const base: TenantShard = {
      id,
      stripeSize: 32768,
      generation: 1,
      generationPageserver: node,
      policy: { kind: 'Attached', secondaries: 0 },
      schedulingPolicy: 'Active',
      config: {},
      intent: { attached: node, secondary: [] },
      observed: { [String(node)]: attachedConf({ number: 0, count: 0, stripeSize: 32768 }, {}, 1) },
      splitting: false,
      pendingComputeNotification: false,
      lastError: null,
      preferredAz: null,
      version: 0,
    };
    shards.push(base);
    await stack.services.tenants.createTenant(
      {
        tenantId: id.tenantId,
        shardCount: 0,
        stripeSize: 32768,
        policy: base.policy,
        schedulingPolicy: 'Active',
        config: {},
        lastComputeNotification: null,
      },
      [base],
    );
  }

  const measurePass = async (label: string) => {
    let read = 0;
    let queries = 0;
    let cursor: string | undefined;
    do {
      const page = await stack.services.tenants.listDirty(100, cursor);
      queries += 1;
      read += page.ids.length;
      cursor = page.next;
    } while (cursor);
    // listDirty reads each of the index's buckets; count the queries it made.
    console.log(
      `reconcile-all with ${label}: ${read} dirty-index items read in ${queries} listDirty calls (4 bucket queries each, at most)`,
    );
    started = performance.now();
    await stack.reconcileAllNow();
    console.log(`  the pass itself took ${(performance.now() - started).toFixed(0)} ms`);
  };
  await stack.reconcileAllNow();
  await measurePass('0 dirty of 1 000');
  // Make 10 dirty: their observed state is forgotten.
  for (const shard of shards.slice(0, 10)) {
    const current = (await stack.services.tenants.getShard(shard.id))!;
    await stack.services.tenants.saveShards([
      {
        before: current,
        after: { ...current, observed: { ...current.observed, [String(current.intent.attached)]: null } },
      },
    ]);
  }
  await measurePass('10 dirty of 1 000');
} finally {
  await stack.stop();
}
