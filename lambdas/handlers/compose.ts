// The composition root: builds the API context (ports, settings) from configuration. Both
// runtimes (handlers/aws-services.ts and local/stack.ts) call it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ComputeHookClient } from '../adapters/compute-hook-client';
import { DynamoControllerMetaStore } from '../adapters/dynamo/controller-meta-store';
import { DynamoLeaseStore } from '../adapters/dynamo/lease-store';
import { DynamoNodeOperationStore } from '../adapters/dynamo/node-operation-store';
import { DynamoNodeStore } from '../adapters/dynamo/node-store';
import { Table } from '../adapters/dynamo/table';
import { DynamoTenantStore } from '../adapters/dynamo/tenant-store';
import { PageserverClient } from '../adapters/pageserver-client';
import type { ApiContext } from '../api/api-context';
import { type JwtKey, jwkFromPem } from '../api/auth/verify-token';
import { type LogPort, quietLog } from '../app/context';
import { MetricsRegistry } from '../app/metrics-registry';
import type { WorkflowStarter } from '../core/ports';

export interface ContextConfig {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Ed25519 public key (PEM text) for inbound JWTs; absent turns authentication off. */
  publicKeyPem?: string;
  /** Token sent to pageservers. */
  pageserverJwtToken?: string;
  computeHookUrl?: string;
  /** Token sent to the compute hook. */
  controlPlaneJwtToken?: string;
  readinessWaitMs?: number;
  /** Overrides every request's code budget (tests). */
  requestBudgetMs?: number;
  inlineReconcileMs?: number;
  pageserverTimeoutMs?: number;
  /** A drain skips shards whose secondary lags more (bytes); absent: 256 MiB. */
  maxSecondaryLagBytes?: number;
  metrics?: MetricsRegistry;
  workflows: WorkflowStarter;
  log?: LogPort;
}

export function createApiContext(config: ContextConfig): ApiContext {
  const metrics = config.metrics ?? new MetricsRegistry();
  const table = new Table(config.doc, config.tableName, metrics.conflictMetrics());
  let authKey: JwtKey | null = null;
  if (config.publicKeyPem) authKey = jwkFromPem(config.publicKeyPem);
  return {
    nodes: new DynamoNodeStore(table),
    operations: new DynamoNodeOperationStore(table),
    tenants: new DynamoTenantStore(table),
    leases: new DynamoLeaseStore(table),
    meta: new DynamoControllerMetaStore(table),
    pageservers: new PageserverClient({
      token: config.pageserverJwtToken,
      timeoutMs: config.pageserverTimeoutMs,
    }),
    computeHook: config.computeHookUrl
      ? new ComputeHookClient({ url: config.computeHookUrl, token: config.controlPlaneJwtToken })
      : null,
    workflows: config.workflows,
    authKey,
    log: config.log ?? quietLog,
    metrics,
    readinessWaitMs: config.readinessWaitMs ?? 25_000,
    inlineReconcileMs: config.inlineReconcileMs ?? 10_000,
    ...(config.maxSecondaryLagBytes === undefined
      ? {}
      : { maxSecondaryLagBytes: config.maxSecondaryLagBytes }),
    // Each request and task run gets its own (api/invoke-route.ts, app/task.ts).
    deadline: Number.POSITIVE_INFINITY,
    ...(config.requestBudgetMs === undefined ? {} : { requestBudgetMs: config.requestBudgetMs }),
  };
}
