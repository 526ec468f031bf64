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
import { registerNode } from '../lambdas/operations/register-node';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { type Gateway, startGateway } from './gateway';
import { type LocalFleet, startLocalFleet } from './local-fleet';

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
  fleet: LocalFleet;
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

    const services = createServices({
      doc,
      tableName: options.tableName,
      publicKeyPem: options.publicKeyPem,
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

    const fleet = await startLocalFleet({
      pageservers: options.pageservers,
      controllerUrl: gateway.url,
      upcallToken: options.upcallJwtToken,
      requiredToken: options.pageserverJwtToken,
      computeHookUrl: options.computeHookUrl,
      computeHookToken: options.controlPlaneJwtToken,
      // Pageservers must be registered before their re-attach can succeed.
      register: (registration) => registerNode(services.nodes, registration),
    });
    stoppers.push(() => fleet.stop());
    if (options.pageservers > 0) log(`${options.pageservers} simulated pageservers registered`);

    await services.meta.markReady(epoch);
    await waitUntilReady(gateway.url, 30_000);
    return {
      url: gateway.url,
      gateway,
      dynamo,
      dynamoEndpoint: endpoint,
      services,
      fleet,
      readyMs: Date.now() - started,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
