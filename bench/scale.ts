// The reference controller's scale gate (later-features.md §3.1) on the local stack: 8 000 tenants /
// 9 600 shards on 6 simulated pageservers, created through the API; then idle reconcile-all,
// balance, restarts to /ready (controller only; whole stack), re-attach, startup announcements and
// DynamoDB calls per create. `--shards 96000` seeds the fleet in bulk instead (stated in the
// output). Progress goes to stderr, the table to stdout. Prints figures, never asserts.
import { cpus, loadavg, totalmem } from 'node:os';
import { CommanderError } from 'commander';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';
import { ensureTable } from '../lambdas/adapters/dynamo/create-table';
import { Table } from '../lambdas/adapters/dynamo/table';
import { DynamoTenantStore } from '../lambdas/adapters/dynamo/tenant-store';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { startComputeHookReceiver } from '../local/sim/compute-hook-receiver';
import type { SimDisk } from '../local/sim/pageserver';
import { type LocalStack, startLocalStack } from '../local/stack';
import { createThroughApi, planFleet } from './scale/create-through-api';
import { DynamoCallCounter } from './scale/dynamo-calls';
import {
  countDirty,
  freeLoopbackPort,
  measureBalance,
  ReAttachLog,
  reconcileUntilIdle,
  timeIdlePasses,
} from './scale/measure';
import { cpuSeconds, type MemorySample, sampleMemory } from './scale/memory';
import { parseScaleOptions, type ScaleOptions } from './scale/options';
import { type ScaleResults, scaleDetails, scaleTable, secs } from './scale/report';
import { type RestartEnv, restartControllerOnly, startWholeStack } from './scale/restarts';
import { disksFromTable, seedFleet } from './scale/seed';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let options: ScaleOptions;
try {
  options = parseScaleOptions(process.argv.slice(2));
} catch (error) {
  // commander printed the help or the problem already.
  process.exit(error instanceof CommanderError && error.exitCode === 0 ? 0 : 2);
}

const benchStart = Date.now();
const loadAtStart = loadavg()[0]!;
const say = (message: string) => console.error(`[bench ${secs(Date.now() - benchStart)}] ${message}`);
// Work a failed start left behind may still fail after its stack stopped: note it, keep measuring.
process.on('unhandledRejection', (error) =>
  say(`(ignored) unhandled rejection: ${(error as Error)?.message ?? String(error)}`),
);
const counter = new DynamoCallCounter();
const reAttachLog = new ReAttachLog();

let dynamo: DynamoDbLocal | null = null;
let endpoint = options.dynamodbEndpoint;
if (!endpoint) {
  dynamo = await startDynamoDbLocal({ dataDir: options.dataDir });
  endpoint = dynamo.endpoint;
  say(`DynamoDB Local on ${endpoint}${options.dataDir ? ` (data in ${options.dataDir})` : ' (in memory)'}`);
}
const hook = await startComputeHookReceiver({ host: '127.0.0.1' });
if (options.hookDelayMs > 0) hook.faults.add({ delayMs: options.hookDelayMs });
const doc = createDocumentClient({ endpoint });
await ensureTable(doc, options.tableName);

const stackOptions = (disks?: SimDisk[], port = 0) => ({
  host: '127.0.0.1',
  port,
  pageservers: options.pageservers,
  reconcileIntervalSeconds: options.reconcileIntervalSeconds,
  dynamodbEndpoint: endpoint,
  tableName: options.tableName,
  computeHookUrl: hook.url,
  // Honoured once the stack has the conflict-faithful layer (issue 14, build 3).
  dynamoConflicts: options.conflicts,
  pageserverDisks: disks,
  onDocumentClient: (d: Parameters<DynamoCallCounter['attach']>[0]) => counter.attach(d),
  log: (line: string) => {
    reAttachLog.observe(line);
    if (options.verbose) say(line);
  },
});

const memoryPeaks: MemorySample[] = [];
const sample = () => memoryPeaks.push(sampleMemory(dynamo?.port ?? null));
let stack: LocalStack | null = null;
const startStack = async (disks?: SimDisk[], port?: number) => {
  const started = await startLocalStack(stackOptions(disks, port));
  counter.watchStack(started);
  return started;
};

async function run(): Promise<ScaleResults> {
  const existing = await new DynamoTenantStore(new Table(doc, options.tableName)).listTenants(1);
  if (!options.skipCreate && existing.tenants.length > 0)
    throw new Error(
      `table ${options.tableName} already holds tenants: use --skip-create, or another --table`,
    );
  const plan = planFleet(options.mix);
  const results: ScaleResults = {
    options,
    creation: {
      mode: options.skipCreate ? 'reused' : options.seed ? 'seed' : 'api',
      phases: [],
      seedMs: null,
      seedCalls: null,
      tenants: options.tenants,
      shards: options.shards,
    },
    settle: null,
    idle: null,
    balance: null,
    controller: null,
    whole: null,
    wholeIsFirstStart: Boolean(options.skipCreate),
    dirtyAfterWhole: null,
    memory: sampleMemory(null),
  };
  const env: RestartEnv = {
    hook,
    counter,
    reAttachLog,
    tenants: options.tenants,
    readyTimeoutMs: options.readyTimeoutSeconds * 1000,
    announceWaitMs: options.announceWaitSeconds * 1000,
  };

  if (results.creation.mode === 'seed') {
    // Into a running stack, as if created while it ran: a whole-stack start on a large seeded fleet
    // comes last (below), so that the figures before it do not depend on it.
    say(`starting the stack (${options.pageservers} simulated pageservers)`);
    stack = await startStack();
    say(`seeding ${options.tenants} tenants / ${options.shards} shards in bulk (not through the API)`);
    const seeded = await seedFleet(
      doc,
      options.tableName,
      plan,
      {
        pageservers: options.pageservers,
        secondaries: options.secondaries,
        concurrency: options.concurrency,
        disks: stack.fleet.pageservers.map((p) => p.disk),
      },
      say,
    );
    results.creation.seedMs = seeded.ms;
    results.creation.seedCalls = seeded.calls;
  } else if (results.creation.mode === 'api') {
    say(`starting the stack (${options.pageservers} simulated pageservers)`);
    stack = await startStack();
    say(
      `creating ${options.tenants} tenants / ${options.shards} shards through the API, ${options.concurrency} at once`,
    );
    results.creation.phases = await createThroughApi(
      stack.url,
      plan,
      { concurrency: options.concurrency, secondaries: options.secondaries },
      counter,
      () => cpuSeconds(dynamo?.port ?? null),
      say,
    );
    const failed = results.creation.phases.reduce((sum, p) => sum + p.failed, 0);
    env.tenants = options.tenants - failed;
  } else {
    say(`reading the fleet in ${options.tableName} to rebuild the simulators' disks`);
    const reused = await disksFromTable(doc, options.tableName, options.pageservers);
    const disks = reused.disks;
    results.creation.tenants = env.tenants = reused.tenants;
    results.creation.shards = reused.shards;
    say('starting the whole stack on the fleet');
    const started = await startWholeStack(startStack, disks, env, await freeLoopbackPort());
    results.whole = started.result;
    stack = started.stack;
    say(
      `start → ready: ${started.stack ? secs(started.result.readyMs!) : `failed: ${started.result.error}`}`,
    );
  }
  sample();
  if (!stack) return results;

  say('reconciling until idle');
  results.settle = await reconcileUntilIdle(stack, 5);
  say(`timing ${options.passes} idle reconcile-all passes`);
  results.idle = await timeIdlePasses(stack, options.passes);
  results.balance = await measureBalance(stack);
  sample();

  say('restarting the controller (pageservers keep running)');
  results.controller = await restartControllerOnly(stack, env);
  say(
    `controller restart → ready: ${results.controller.readyMs === null ? 'never' : secs(results.controller.readyMs)}`,
  );
  sample();

  if (results.creation.mode !== 'reused') {
    const disks = stack.fleet.pageservers.map((p) => p.disk);
    const port = Number(new URL(stack.url).port);
    say('stopping the whole stack (DynamoDB stays up), then starting it again');
    await stack.stop();
    stack = null;
    const restarted = await startWholeStack(startStack, disks, env, port);
    results.whole = restarted.result;
    stack = restarted.stack;
    say(
      `whole-stack restart → ready: ${stack ? secs(restarted.result.readyMs!) : `failed: ${restarted.result.error}`}`,
    );
    if (stack) results.dirtyAfterWhole = await countDirty(stack);
    sample();
  }
  return results;
}

const header = (results: ScaleResults | null) => [
  `bench:scale — ${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  `DynamoDB: ${options.dynamodbEndpoint ?? 'DynamoDB Local'}, table ${options.tableName}; conflicts: ${options.conflicts} (${counter.faithfulLayerSeen ? 'the stack raised them as AWS would' : 'this stack has no conflict-faithful layer: DynamoDB Local never conflicts'})`,
  `1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (other work shares the machine: figures vary with it)`,
  `mix: ${results?.creation.mode === 'reused' ? 'as found in the table' : options.mix.map((e) => `${e.tenants}×${e.shardsEach}`).join(' + ')} (×1: unsharded, count 0); the reference's test: 7 800×1 (count 1) + 200×8 = 9 400 shards (later-features.md's "9 600" is a slip)`,
  `compute hook answers after ${options.hookDelayMs} ms; reconcile-all every ${options.reconcileIntervalSeconds} s`,
  'ready: /ready first answering 200 for the new startup (its MarkReady); the startup announcements run after it',
];
let exitCode = 0;
try {
  const results = await run();
  results.memory = {
    benchPeakMiB: Math.max(...memoryPeaks.map((m) => m.benchPeakMiB), sampleMemory(null).benchPeakMiB),
    dynamoMiB: memoryPeaks.at(-1)?.dynamoMiB ?? null,
    dynamoPeakMiB: memoryPeaks.reduce<number | null>(
      (p, m) => Math.max(p ?? 0, m.dynamoPeakMiB ?? 0) || p,
      null,
    ),
  };
  console.log([...header(results), '', scaleTable(results), '', ...scaleDetails(results)].join('\n'));
} catch (error) {
  console.error(`bench:scale failed: ${(error as Error).stack ?? error}`);
  exitCode = 1;
} finally {
  await (stack as LocalStack | null)?.stop().catch(() => undefined);
  await hook.stop();
  doc.destroy();
  await dynamo?.stop();
}
// Aborted work of a stopped stack may still hold timers; the figures are out, so leave.
process.exit(exitCode);
