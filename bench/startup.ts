// Startup at fleet scale, measured on the local stack: the table and the simulators' disks are
// seeded directly in bulk (a converged fleet, as if it had been running), then the figures the
// startup work decides are taken: re-attach of all six nodes at once (the controller's answer over
// HTTP, then simulated pageserver restarts), a controller-only restart → /ready with the startup
// workflow's timeline, and the announcements after ready (every tenant, up to 30 s after ready).
// A whole restart, as the local stack does one, is the re-attach followed by the controller's
// startup. `npx tsx bench/startup.ts [--shards 9600] [--no-pageserver-restart] [--profile]`;
// `--probe` times the scan's parts and re-attach in-process instead (it leaves the simulators
// behind the table). The full gate is `npm run bench:scale`; this is its startup slice.
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';
import { Table } from '../lambdas/adapters/dynamo/table';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo/tenant-store';
import { mapLimited } from '../lambdas/core/concurrency';
import { DEFAULT_STRIPE_SIZE, formatTenantShardId, shardsOfCount } from '../lambdas/core/ids';
import { attachedConf } from '../lambdas/core/model/location-config';
import { newTenant } from '../lambdas/core/model/tenant';
import { EMPTY_INTENT, newShard, shardIdentity } from '../lambdas/core/model/tenant-shard';
import { Scheduler, schedulerNode } from '../lambdas/core/scheduler';
import { startLocalStack } from '../local/stack';

const args = process.argv.slice(2);
const shardsWanted = args.includes('--shards') ? Number(args[args.indexOf('--shards') + 1]) : 9600;
// The reference's mix: 8 000 tenants / 9 600 shards, unsharded and 8-shard tenants.
const sharded = Math.round((shardsWanted / 9600) * 229);
const unsharded = Math.round((shardsWanted / 9600) * 8000) - sharded;

const tableName = `startup-bench-${randomUUID()}`;
const reAttached = new Map<number, number>();
let since = Date.now();
const stack = await startLocalStack({
  host: '127.0.0.1',
  port: 0,
  pageservers: 6,
  tableName,
  reconcileIntervalSeconds: 3600,
  log: (line) => {
    const m = /^pageserver (\d+): re-attached (\d+) shards/.exec(line);
    if (m) reAttached.set(Number(m[1]), Date.now() - since);
  },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(deadline: number): Promise<number | null> {
  for (;;) {
    try {
      const res = await fetch(`${stack.url}/ready`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return Date.now();
    } catch {
      // not listening
    }
    if (Date.now() > deadline) return null;
    await sleep(25);
  }
}

/** A CPU profile of this process from now until stop(path). */
async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(path: string) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** The last startup execution's top-level states, as "name +start..end ms" from its start. */
async function startupTimeline(): Promise<string> {
  const runs = await stack.services.workflows.list({ limit: 1000 });
  const last = runs
    .filter((e) => e.workflow === 'startup-reconcile')
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
  if (!last) return '';
  const events = (await stack.services.workflows.history(last.id)) as Array<{
    type: string;
    timestamp: number;
    state?: { name: string };
    index?: number;
  }>;
  const t0 = events[0]?.timestamp ?? 0;
  const spans = new Map<string, [number, number]>();
  for (const e of events) {
    if (!e.state || e.index !== undefined) continue;
    const span = spans.get(e.state.name) ?? [e.timestamp - t0, e.timestamp - t0];
    span[1] = e.timestamp - t0;
    spans.set(e.state.name, span);
  }
  return [...spans].map(([n, [a, b]]) => `${n} ${a}..${b}`).join(', ');
}

try {
  const seedStart = Date.now();
  const tenants = new DynamoTenantStore(
    new Table(createDocumentClient({ endpoint: stack.dynamoEndpoint }), tableName),
  );
  const scheduler = new Scheduler((await stack.services.nodes.list()).map(schedulerNode));
  const policy = { kind: 'Attached' as const, secondaries: 0 };
  const plan = [...Array.from({ length: unsharded }, () => 0), ...Array.from({ length: sharded }, () => 8)];
  let total = 0;
  await mapLimited(plan, 32, async (count) => {
    const tenantId = randomUUID().replace(/-/g, '');
    const shards = shardsOfCount(tenantId, count).map((id) => {
      const s = newShard({
        id,
        stripeSize: DEFAULT_STRIPE_SIZE,
        generation: 0,
        policy,
        config: {},
        intent: EMPTY_INTENT,
      });
      const intent = scheduler.schedule(s).intent;
      const node = intent.attached!;
      return {
        ...s,
        intent,
        generation: 1,
        generationPageserver: node,
        observed: { [String(node)]: attachedConf(shardIdentity(s), s.config, 1) },
      };
    });
    await tenants.createTenant(
      newTenant({ tenantId, shardCount: count, stripeSize: DEFAULT_STRIPE_SIZE, policy, config: {} }),
      shards,
    );
    for (const shard of shards) {
      stack.fleet.byId(shard.intent.attached!).disk.locations.set(formatTenantShardId(shard.id), {
        conf: attachedConf(shardIdentity(shard), shard.config, 1),
        timelines: new Map(),
      });
    }
    total += shards.length;
  });
  console.log(`seeded ${plan.length} tenants / ${total} shards in ${Date.now() - seedStart} ms`);

  if (args.includes('--probe')) {
    const steps = await import('../lambdas/workflows/startup/steps');
    const all = await stack.services.nodes.list();
    for (let round = 0; round < 2; round++) {
      const t0 = Date.now();
      const scans = await Promise.all(all.map((n) => steps.scanNodes(stack.services, [n], 5_000)));
      const t1 = Date.now();
      const members = await Promise.all(all.map((n) => stack.services.tenants.nodeMemberships(n.id)));
      const t2 = Date.now();
      await Promise.all(members.map((m) => stack.services.tenants.getShards(m.map((x) => x.id))));
      const t3 = Date.now();
      await Promise.all(scans.map((scan) => steps.applyScan(stack.services, scan)));
      const t4 = Date.now();
      console.log(
        `probe: listings ${t1 - t0} ms, memberships ${t2 - t1} ms, shard reads ${t3 - t2} ms, applyScan ${t4 - t3} ms`,
      );
    }
    const { reAttach } = await import('../lambdas/nodes/re-attach');
    for (const node of [1]) {
      const t0 = Date.now();
      const answer = await reAttach(stack.services, node);
      console.log(`probe: reAttach(${node}) in-process: ${answer.length} shards in ${Date.now() - t0} ms`);
    }
    for (let round = 0; round < 2; round++) {
      const t0 = Date.now();
      const each = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (n) => {
          await reAttach(stack.services, n);
          return Date.now() - t0;
        }),
      );
      console.log(`probe: reAttach(1..6) at once in-process: ${each.join(' ')} ms`);
    }
    const t0 = Date.now();
    const each = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (n) => {
        const res = await fetch(`${stack.url}/upcall/v1/re-attach`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ node_id: n }),
        });
        await res.arrayBuffer();
        return `${res.status}:${Date.now() - t0}`;
      }),
    );
    console.log(`probe: re-attach 1..6 at once over HTTP: ${each.join(' ')} ms`);
    process.exit(0);
  }
  // Re-attach, all six nodes at once: the controller's answer time over HTTP, then the simulated
  // pageservers' restarts (their re-attach makes their disks match the table again).
  if (!args.includes('--no-pageserver-restart')) {
    const t0 = Date.now();
    const answered = await Promise.all(
      stack.fleet.pageservers.map(async (p) => {
        const res = await fetch(`${stack.url}/upcall/v1/re-attach`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ node_id: p.nodeId }),
        });
        const body = (await res.json()) as { tenants: unknown[] };
        return `${p.nodeId}:${body.tenants.length} shards in ${Date.now() - t0} ms`;
      }),
    );
    console.log(`re-attach answered (6 at once): ${answered.join(', ')}`);
    since = Date.now();
    reAttached.clear();
    await Promise.all(stack.fleet.pageservers.map((p) => p.restart()));
    await Promise.all(stack.fleet.pageservers.map((p) => p.waitUntilActive()));
    console.log(
      `pageserver restart to re-attached (6 at once), ms per node: ${[...reAttached]
        .sort(([a], [b]) => a - b)
        .map(([n, ms]) => `${n}:${ms}`)
        .join(' ')}`,
    );
  }

  const hook = stack.computeHook!;
  // A whole restart, as the local stack does one, is the pageservers' re-attach (above: all six
  // at once against a running API) followed by the controller's startup (this).
  const kinds = ['controller only'] as const;
  for (const kind of kinds) {
    const profiler = args.includes('--profile') ? await startProfile() : null;
    const restartAt = Date.now();
    const before = hook.notifications.length;
    const fenced = stack.fleet.safetyViolations().length;
    since = restartAt;
    reAttached.clear();
    const restart = stack.restartController().then(
      () => Date.now(),
      (error: Error) => {
        console.log(`restart failed: ${error.message}`);
        return null;
      },
    );
    const readyAt = await waitReady(restartAt + 180_000);
    if (profiler) await profiler.stop(`/tmp/startup-${kind.replace(/ /g, '-')}.cpuprofile`);
    // Every tenant announced since the restart began, waiting up to 30 s after ready for them.
    const announced = new Set<string>();
    let last = 0;
    let seen = before;
    for (;;) {
      for (; seen < hook.notifications.length; seen++) {
        const n = hook.notifications[seen]!;
        if (!announced.has(n.body.tenant_id)) last = n.at;
        announced.add(n.body.tenant_id);
      }
      if (announced.size >= plan.length || readyAt === null || Date.now() > readyAt + 30_000) break;
      await sleep(100);
    }
    const doneAt = await restart;
    console.log(
      `${kind}: ready after ${readyAt ? readyAt - restartAt : 'never'} ms, startup done after ${doneAt ? doneAt - restartAt : '-'} ms; ` +
        `announced ${announced.size}/${plan.length}, last ${readyAt ? last - readyAt : '-'} ms after ready; ` +
        `startup result ${JSON.stringify({ ...stack.startup, unknown: stack.startup.unknown.length })}` +
        (reAttached.size ? `; re-attach ms ${[...reAttached.values()].join(' ')}` : ''),
    );
    console.log(`  timeline: ${await startupTimeline()}`);
    console.log(`  safety violations: ${stack.fleet.safetyViolations().length - fenced}`);
  }
} finally {
  await stack.stop();
}
