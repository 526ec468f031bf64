// Builds the handlers' Services from configuration. Both composition roots (AWS and local) call it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type JwtKey, jwkFromPem } from '../api/auth/verify-token';
import { MetricsRegistry } from '../api/metrics-registry';
import type { Services } from '../api/services';
import type { WorkflowStarter } from '../core/ports';
import { ComputeHookClient } from './compute-hook-client';
import { DynamoControllerMetaStore } from './dynamo/controller-meta-store';
import { DynamoLeaseStore } from './dynamo/lease-store';
import { DynamoNodeStore } from './dynamo/node-store';
import { Table } from './dynamo/table';
import { DynamoTenantStore } from './dynamo/tenant-store';
import { PageserverClient } from './pageserver-client';

export interface ServicesConfig {
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
  inlineReconcileMs?: number;
  pageserverTimeoutMs?: number;
  metrics?: MetricsRegistry;
  workflows: WorkflowStarter;
}

export function createServices(config: ServicesConfig): Services {
  const table = new Table(config.doc, config.tableName);
  let authKey: JwtKey | null = null;
  if (config.publicKeyPem) authKey = jwkFromPem(config.publicKeyPem);
  return {
    nodes: new DynamoNodeStore(table),
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
    metrics: config.metrics ?? new MetricsRegistry(),
    readinessWaitMs: config.readinessWaitMs ?? 25_000,
    inlineReconcileMs: config.inlineReconcileMs ?? 10_000,
  };
}
