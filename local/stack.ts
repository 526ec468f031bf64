// The embedded runtime: DynamoDB Local, the table, the local API gateway over the same Lambda
// handlers as on AWS, simulated pageservers and the compute-hook receiver. `npm start` and the
// integration tests both use it.
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';
import { ensureTable } from '../lambdas/adapters/dynamo/create-table';
import type { ApiContext } from '../lambdas/api/api-context';
import { buildGroupHandler, type GroupHandler } from '../lambdas/api/build-handler';
import { ROUTE_GROUPS, type RouteGroup } from '../lambdas/api/route';
import { ROUTES, routesOfGroup } from '../lambdas/api/route-table';
import { createApiContext } from '../lambdas/handlers/compose';
import { registerNode } from '../lambdas/nodes/register-node';
import type { BeatResult } from '../lambdas/workflows/heartbeat/tasks';
import type { StartupResult } from '../lambdas/workflows/startup/steps';
import { waitForExecution } from '../lambdas/workflows/wait-execution';
import { type DynamoConflictMode, type DynamoTraffic, withDynamoConflicts } from './dynamo-conflicts';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb-local';
import { type Gateway, startGateway } from './gateway';
import { startHeartbeatTimer } from './heartbeat-timer';
import { waitNodesActive } from './nodes-active';
import { type ComputeHookReceiver, startComputeHookReceiver } from './sim/compute-hook-receiver';
import { type SimFleet, startSimFleet } from './sim/fleet';
import type { SimDisk } from './sim/pageserver';
import { type LocalWorkflowOptions, LocalWorkflowRunner } from './workflow-runner';

export interface LocalStackOptions {
  host: string;
  port: number;
  /** Simulated pageservers to start and register; 0 for none. */
  pageservers: number;
  /** Availability zones the simulated pageservers register in, round robin (node 1 in the first). */
  availabilityZones?: string[];
  /** Where compute notifications go; absent starts the built-in receiver. */
  computeHookUrl?: string;
  publicKeyPem?: string;
  /** Token the controller sends to pageservers. */
  pageserverJwtToken?: string;
  /** Token the controller sends to the compute hook. */
  controlPlaneJwtToken?: string;
  /** Token the simulated pageservers send on upcalls (scope generations_api or admin) when auth is on. */
  upcallJwtToken?: string;
  dataDir?: string;
  reconcileIntervalSeconds: number;
  /** Heartbeat period; absent: 5 s. */
  heartbeatIntervalSeconds?: number;
  /** A node failing heartbeats longer than this goes Offline; absent: 30 s. */
  maxOfflineIntervalSeconds?: number;
  /** After a re-attach, heartbeat failures count only after this long; absent: 300 s. */
  maxWarmingUpIntervalSeconds?: number;
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  dynamodbEndpoint?: string;
  tableName: string;
  /**
   * faithful (the default): DynamoDB's transaction conflicts are raised as on AWS, which DynamoDB
   * Local never does (local/dynamo-conflicts.ts); off: DynamoDB Local as it is.
   */
  dynamoConflicts?: DynamoConflictMode;
  readinessWaitMs?: number;
  /** Each request's code budget in ms, in place of its route group's (tests keep it short). */
  requestBudgetMs?: number;
  /** Deadline of one pageserver call, retries included (default 10 s). */
  pageserverTimeoutMs?: number;
  /** A drain leaves a shard whose secondary lags more than this (bytes; default 256 MiB). */
  maxSecondaryLagBytes?: number;
  /** Retry pacing and task wrapping for the local workflow runner (tests). */
  workflowOptions?: LocalWorkflowOptions;
  /** Check every 2xx reply against its route's declared response schema (tests turn this on). */
  validateResponses?: boolean;
  log?: (message: string) => void;
  /** Disks of the simulated pageservers (node id i + 1 at i), kept from an earlier stack or seeded. */
  pageserverDisks?: SimDisk[];
  /** Called with the document client before first use (a bench counts calls with a middleware). */
  onDocumentClient?: (doc: DynamoDBDocumentClient) => void;
}

export interface LocalStack {
  url: string;
  gateway: Gateway;
  dynamo: DynamoDbLocal | null;
  dynamoEndpoint: string;
  /** Every DynamoDB command the controller sent, and the conflicts the faithful mode raised. */
  dynamoTraffic: DynamoTraffic;
  services: ApiContext;
  fleet: SimFleet;
  /** The built-in compute-hook receiver, when no --compute-hook-url was given. */
  computeHook: ComputeHookReceiver | null;
  computeHookUrl: string;
  /** What the last startup reconciliation found. */
  startup: StartupResult;
  /** Milliseconds from the start call until /ready answered 200. */
  readyMs: number;
  /** Runs one reconcile-all pass now (the timer runs them every interval). */
  reconcileAllNow(): Promise<void>;
  /** Runs one heartbeat pass now (the timer runs them every heartbeat interval); null if it failed. */
  heartbeatNow(): Promise<BeatResult | null>;
  /** Stops the controller (API, timer) and starts a fresh one on the same port and table. */
  restartController(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULT_TABLE_NAME = 'storage-controller';

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/ready did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type ScanSummary = { node: number; responsive: boolean; unknown: Array<{ shard: string; node: number }> };

/** What the startup workflow found, from its output. */
function summarizeStartup(output: {
  scanned: ScanSummary[];
  announcing?: { notified: number; notifyFailed: number };
}): StartupResult {
  return {
    responsive: output.scanned.filter((s) => s.responsive).map((s) => s.node),
    offline: output.scanned.filter((s) => !s.responsive).map((s) => s.node),
    unknown: output.scanned.flatMap((s) => s.unknown),
    notified: output.announcing?.notified ?? 0,
    notifyFailed: output.announcing?.notifyFailed ?? 0,
  };
}

/** The startup workflow runs at most this long (its TimeoutSeconds; announcements come after ready). */
const STARTUP_WAIT_MS = 600_000;
/** How long a start waits for every simulated pageserver to have its re-attach answer. */
const FLEET_ACTIVE_WAIT_MS = 120_000;
/** … and then for the controller to see each Active (its heartbeat); past it the start goes on. */
const NODES_ACTIVE_WAIT_MS = 30_000;

interface Controller {
  services: ApiContext;
  gateway: Gateway;
  startup: () => Promise<StartupResult>;
  reconcileAllNow(): Promise<void>;
  heartbeatNow(): Promise<BeatResult | null>;
  stop(): Promise<void>;
}

/** The controller proper: services, the API gateway and the reconcile-all timer. Stateless. */
async function startController(
  options: LocalStackOptions,
  doc: DynamoDBDocumentClient,
  computeHookUrl: string,
  port: number,
  log: (message: string) => void,
): Promise<Controller> {
  let services: ApiContext | undefined;
  const workflows = new LocalWorkflowRunner(() => services!, options.workflowOptions);
  services = createApiContext({
    workflows,
    doc,
    tableName: options.tableName,
    publicKeyPem: options.publicKeyPem,
    pageserverJwtToken: options.pageserverJwtToken,
    computeHookUrl,
    controlPlaneJwtToken: options.controlPlaneJwtToken,
    readinessWaitMs: options.readinessWaitMs,
    requestBudgetMs: options.requestBudgetMs,
    pageserverTimeoutMs: options.pageserverTimeoutMs,
    maxSecondaryLagBytes: options.maxSecondaryLagBytes,
    heartbeat: {
      ...(options.heartbeatIntervalSeconds ? { intervalSeconds: options.heartbeatIntervalSeconds } : {}),
      ...(options.maxOfflineIntervalSeconds ? { maxOfflineSeconds: options.maxOfflineIntervalSeconds } : {}),
      ...(options.maxWarmingUpIntervalSeconds
        ? { maxWarmingUpSeconds: options.maxWarmingUpIntervalSeconds }
        : {}),
    },
  });
  const epoch = randomUUID();
  await services.meta.beginStartup(epoch);
  const handlers = Object.fromEntries(
    ROUTE_GROUPS.map((group) => [group, buildGroupHandler(routesOfGroup(group), async () => services)]),
  ) as Record<RouteGroup, GroupHandler>;
  const gateway = await startGateway({
    host: options.host,
    port,
    routes: ROUTES,
    handlers,
    validateResponses: options.validateResponses,
  });

  // The background reconcile-all pass (an EventBridge schedule on AWS): one execution at a time.
  // A call made while a pass runs gets a fresh pass after it (that one may have read the dirty
  // index before the caller's change); calls made meanwhile share that one queued pass.
  let passRunning: Promise<void> | null = null;
  let passQueued: Promise<void> | null = null;
  const runPass = async () => {
    try {
      const { id } = await workflows.start('reconcile-all', `reconcile-all-${randomUUID()}`, {
        cursor: null,
      });
      const done = await waitForExecution(workflows, id, 10 * 60_000);
      if (done?.status !== 'SUCCEEDED')
        log(`reconcile-all ${done?.status ?? 'lost'}: ${done?.error?.cause ?? ''}`);
    } catch (error) {
      log(`reconcile-all failed: ${(error as Error).message}`);
    }
  };
  const reconcileAllNow = (): Promise<void> => {
    if (passQueued) return passQueued;
    const startPass = (): Promise<void> => {
      const pass = runPass().finally(() => {
        if (passRunning === pass) passRunning = null;
      });
      passRunning = pass;
      return pass;
    };
    if (!passRunning) return startPass();
    const queued = passRunning.then(() => {
      passQueued = null;
      return startPass();
    });
    passQueued = queued;
    return queued;
  };
  const timer = setInterval(() => {
    if (!passRunning) void reconcileAllNow();
  }, options.reconcileIntervalSeconds * 1000);
  timer.unref();

  const heartbeats = startHeartbeatTimer(services, log);

  return {
    services,
    gateway,
    reconcileAllNow,
    heartbeatNow: () => heartbeats.beatNow(),
    async startup() {
      const { id } = await workflows.start('startup-reconcile', `startup-${epoch}`, { epoch });
      const done = await waitForExecution(workflows, id, STARTUP_WAIT_MS);
      if (done?.status !== 'SUCCEEDED')
        throw new Error(`startup reconciliation ${done?.status}: ${done?.error?.cause ?? ''}`);
      void reconcileAllNow();
      return summarizeStartup(done.output as Parameters<typeof summarizeStartup>[0]);
    },
    async stop() {
      clearInterval(timer);
      heartbeats.stop();
      // Stop within moments, as a real process would: running executions end where they are
      // (a migration may otherwise wait minutes for catch-up). Their leases expire or are
      // reclaimed, and interrupted splits are aborted by the next startup or reconcile-all.
      workflows.abortAll();
      await gateway.stop();
      await Promise.race([workflows.settle(), new Promise((r) => setTimeout(r, 1_000))]);
    },
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  // Everything started so far, stopped in reverse if a later step fails or on stop().
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    while (stoppers.length > 0) {
      const stop = stoppers.pop()!;
      await stop().catch((error) => log(`error while stopping: ${(error as Error).message}`));
    }
  };
  try {
    let dynamo: DynamoDbLocal | null = null;
    let endpoint = options.dynamodbEndpoint;
    if (!endpoint) {
      dynamo = await startDynamoDbLocal({ dataDir: options.dataDir });
      stoppers.push(() => dynamo!.stop());
      endpoint = dynamo.endpoint;
      log(`DynamoDB Local answered on ${endpoint} after ${dynamo.startupMs} ms`);
    }
    const { doc, traffic } = withDynamoConflicts(
      createDocumentClient({ endpoint }),
      options.dynamoConflicts ?? 'faithful',
    );
    options.onDocumentClient?.(doc);
    stoppers.push(async () => doc.destroy());
    await ensureTable(doc, options.tableName);

    let computeHook: ComputeHookReceiver | null = null;
    let computeHookUrl = options.computeHookUrl;
    if (!computeHookUrl) {
      computeHook = await startComputeHookReceiver({
        host: '127.0.0.1',
        expectedToken: options.controlPlaneJwtToken,
      });
      stoppers.push(() => computeHook!.stop());
      computeHookUrl = computeHook.url;
    }

    let controller = await startController(options, doc, computeHookUrl, options.port, log);
    const controllerStopper = () => controller.stop();
    stoppers.push(controllerStopper);
    const url = controller.gateway.url;
    log(`API listening on ${url}`);

    // Pageservers are registered before they start, as neon_local does, so their first
    // re-attach succeeds. With --data-dir they may already be registered from a previous run.
    // A port found free may be taken before the pageserver binds it (another process binding
    // in between): then the fleet is started again on fresh ports, registered anew.
    const startFleet = async (fresh: boolean) => {
      const ports: number[] = [];
      for (let i = 0; i < options.pageservers; i++) {
        let existing = await controller.services.nodes.get(i + 1);
        // On a retry a node not holding anything yet is registered again on its new port.
        if (fresh && existing && existing.attachedCount + existing.secondaryCount === 0) {
          await controller.services.nodes.delete(i + 1);
          existing = undefined;
        }
        const port = existing?.listenHttpAddr === '127.0.0.1' ? existing.listenHttpPort : await freePort();
        ports.push(port);
        await registerNode(controller.services.nodes, {
          id: i + 1,
          listenHttpAddr: '127.0.0.1',
          listenHttpPort: port,
          listenPgAddr: '127.0.0.1',
          listenPgPort: port,
          availabilityZoneId: options.availabilityZones?.[i % options.availabilityZones.length] ?? null,
        });
      }
      return startSimFleet(
        ports.map((port, i) => ({ nodeId: i + 1, port, disk: options.pageserverDisks?.[i] })),
        {
          controlPlaneApi: `${url}/upcall/v1/`,
          controlPlaneToken: options.upcallJwtToken,
          requiredToken: options.pageserverJwtToken,
          log,
        },
      );
    };
    let fleet: Awaited<ReturnType<typeof startSimFleet>>;
    for (let attempt = 1; ; attempt++) {
      try {
        fleet = await startFleet(attempt > 1);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw error;
        log(`a pageserver port was taken meanwhile (${(error as Error).message}); starting on fresh ports`);
      }
    }
    stoppers.push(() => fleet.stop());
    // The controller's startup runs while the pageservers re-attach, as on AWS, where nothing
    // orders the two: its scan leaves a re-attaching node to its re-attach answer.
    // A large fleet's re-attach may take more than one 30 s call (local/sim/pageserver.ts).
    const reAttached = Promise.all(fleet.pageservers.map((p) => p.waitUntilActive(FLEET_ACTIVE_WAIT_MS)));
    reAttached.catch(() => undefined);
    let startup = await controller.startup();
    await reAttached;
    await waitNodesActive(
      controller.services.nodes,
      fleet.pageservers.map((p) => p.nodeId),
      NODES_ACTIVE_WAIT_MS,
    );
    if (options.pageservers > 0)
      log(`${options.pageservers} simulated pageservers registered and re-attached`);
    log(
      `startup reconciliation: ${startup.responsive.length} nodes answered, ${startup.offline.length} offline, ${startup.notified} tenants announced`,
    );
    await waitUntilReady(url, 30_000);
    const stack: LocalStack = {
      url,
      gateway: controller.gateway,
      dynamo,
      dynamoEndpoint: endpoint,
      dynamoTraffic: traffic,
      services: controller.services,
      fleet,
      computeHook,
      computeHookUrl,
      startup,
      readyMs: Date.now() - started,
      reconcileAllNow: () => controller.reconcileAllNow(),
      heartbeatNow: () => controller.heartbeatNow(),
      async restartController() {
        await controller.stop();
        controller = await startController(options, doc, computeHookUrl!, controller.gateway.port, log);
        stack.gateway = controller.gateway;
        stack.services = controller.services;
        startup = await controller.startup();
        stack.startup = startup;
        await waitUntilReady(url, 30_000);
      },
      stop: stopAll,
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
