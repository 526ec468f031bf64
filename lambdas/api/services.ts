// Everything a route handler may use, supplied by the runtime's composition root.
import type {
  ComputeHook,
  ControllerMetaStore,
  LeaseStore,
  NodeStore,
  PageserverApi,
  TenantStore,
  WorkflowStarter,
} from '../core/ports';
import type { ReconcileDeps } from '../operations/reconcile-shard';
import type { JwtKey } from './auth/verify-token';
import type { MetricsRegistry } from './metrics-registry';

export interface Services {
  nodes: NodeStore;
  tenants: TenantStore;
  leases: LeaseStore;
  meta: ControllerMetaStore;
  pageservers: PageserverApi;
  workflows: WorkflowStarter;
  /** Null when no compute hook URL is configured. */
  computeHook: ComputeHook | null;
  /** Public key for inbound JWTs; null turns authentication off. */
  authKey: JwtKey | null;
  metrics: MetricsRegistry;
  /** How long gated routes wait for startup before answering 408 (ms). */
  readinessWaitMs: number;
  /** Budget for reconciling inline before an API call answers (ms). */
  inlineReconcileMs: number;
}

export function reconcileDeps(services: Services, owner: string): ReconcileDeps {
  return {
    tenants: services.tenants,
    nodes: services.nodes,
    leases: services.leases,
    pageservers: services.pageservers,
    computeHook: services.computeHook,
    owner,
    metrics: services.metrics.reconcileMetrics(),
  };
}
