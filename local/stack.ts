// The embedded runtime: DynamoDB Local, the table, the local API gateway over the same Lambda
// handlers as on AWS, simulated pageservers and the compute-hook receiver. `npm start` and the
// integration tests both use it.
import { randomUUID } from 'node:crypto';
import { createServices } from '../lambdas/adapters/create-services';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';
import { ensureTable } from '../lambdas/adapters/dynamo/create-table';
import { buildGroupHandler, type GroupHandler } from '../lambdas/api/build-handler';
import { ROUTE_GROUPS, type RouteGroup } from '../lambdas/api/route';
import { ROUTES, routesOfGroup } from '../lambdas/api/route-table';
import type { Services } from '../lambdas/api/services';
import { reconcileAll } from '../lambdas/operations/reconcile-all';
import { registerNode } from '../lambdas/operations/register-node';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb-local';
import { type Gateway, startGateway } from './gateway';
import { type ComputeHookReceiver, startComputeHookReceiver } from './sim/compute-hook-receiver';
import { type SimFleet, startSimFleet } from './sim/fleet';

export interface LocalStackOptions {
  host: string;
  port: number;
  /** Simulated pageservers to start and register; 0 for none. */
  pageservers: number;
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
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  dynamodbEndpoint?: string;
  tableName: string;
  readinessWaitMs?: number;
  log?: (message: string) => void;
}

export interface LocalStack {
  url: string;
  gateway: Gateway;
  dynamo: DynamoDbLocal | null;
  dynamoEndpoint: string;
  services: Services;
  fleet: SimFleet;
  /** The built-in compute-hook receiver, when no --compute-hook-url was given. */
  computeHook: ComputeHookReceiver | null;
  computeHookUrl: string;
  /** Runs one reconcile-all pass now (the timer runs them every interval). */
  reconcileAllNow(): Promise<void>;
  /** Milliseconds from the start call until /ready answered 200. */
  readyMs: number;
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
    const doc = createDocumentClient({ endpoint });
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

    const services = createServices({
      doc,
      tableName: options.tableName,
      publicKeyPem: options.publicKeyPem,
      pageserverJwtToken: options.pageserverJwtToken,
      computeHookUrl,
      controlPlaneJwtToken: options.controlPlaneJwtToken,
      readinessWaitMs: options.readinessWaitMs,
    });
    const epoch = randomUUID();
    await services.meta.beginStartup(epoch);

    const handlers = Object.fromEntries(
      ROUTE_GROUPS.map((group) => [group, buildGroupHandler(routesOfGroup(group), async () => services)]),
    ) as Record<RouteGroup, GroupHandler>;
    const gateway = await startGateway({ host: options.host, port: options.port, routes: ROUTES, handlers });
    stoppers.push(() => gateway.stop());
    log(`API listening on ${gateway.url}`);

    // Pageservers are registered before they start, as neon_local does, so their first
    // re-attach succeeds.
    const ports: number[] = [];
    for (let i = 0; i < options.pageservers; i++) {
      const port = await freePort();
      ports.push(port);
      await registerNode(services.nodes, {
        id: i + 1,
        listenHttpAddr: '127.0.0.1',
        listenHttpPort: port,
        listenPgAddr: '127.0.0.1',
        listenPgPort: port,
        availabilityZoneId: null,
      });
    }
    const fleet = await startSimFleet(
      ports.map((port, i) => ({ nodeId: i + 1, port })),
      {
        controlPlaneApi: `${gateway.url}/upcall/v1/`,
        controlPlaneToken: options.upcallJwtToken,
        requiredToken: options.pageserverJwtToken,
        log,
      },
    );
    stoppers.push(() => fleet.stop());
    await Promise.all(fleet.pageservers.map((p) => p.waitUntilActive()));
    if (options.pageservers > 0)
      log(`${options.pageservers} simulated pageservers registered and re-attached`);

    // The background reconcile-all pass (a Step Functions schedule on AWS).
    let passRunning: Promise<void> | null = null;
    const reconcileAllNow = async () => {
      if (passRunning) return passRunning;
      passRunning = reconcileAll(services, `reconcile-all-${randomUUID()}`, Date.now() + 60_000)
        .then(() => undefined)
        .catch((error: Error) => log(`reconcile-all failed: ${error.message}`))
        .finally(() => {
          passRunning = null;
        });
      return passRunning;
    };
    const timer = setInterval(() => void reconcileAllNow(), options.reconcileIntervalSeconds * 1000);
    timer.unref();
    stoppers.push(async () => {
      clearInterval(timer);
      await passRunning;
    });

    await services.meta.markReady(epoch);
    await waitUntilReady(gateway.url, 30_000);
    return {
      url: gateway.url,
      gateway,
      dynamo,
      dynamoEndpoint: endpoint,
      services,
      fleet,
      computeHook,
      computeHookUrl,
      reconcileAllNow,
      readyMs: Date.now() - started,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
