// Builds the handlers' Services from configuration. Both composition roots (AWS and local) call it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type JwtKey, jwkFromPem } from '../api/auth/verify-token';
import { MetricsRegistry } from '../api/metrics-registry';
import type { Services } from '../api/services';
import { DynamoControllerMetaStore } from './dynamo/controller-meta-store';
import { DynamoNodeStore } from './dynamo/node-store';
import { Table } from './dynamo/table';

export interface ServicesConfig {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Ed25519 public key (PEM text) for inbound JWTs; absent turns authentication off. */
  publicKeyPem?: string;
  readinessWaitMs?: number;
  metrics?: MetricsRegistry;
}

export function createServices(config: ServicesConfig): Services {
  const table = new Table(config.doc, config.tableName);
  let authKey: JwtKey | null = null;
  if (config.publicKeyPem) authKey = jwkFromPem(config.publicKeyPem);
  return {
    nodes: new DynamoNodeStore(table),
    meta: new DynamoControllerMetaStore(table),
    authKey,
    metrics: config.metrics ?? new MetricsRegistry(),
    readinessWaitMs: config.readinessWaitMs ?? 25_000,
  };
}
