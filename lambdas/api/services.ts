// Everything a route handler may use, supplied by the runtime's composition root.
import type { ControllerMetaStore, NodeStore } from '../core/ports';
import type { JwtKey } from './auth/verify-token';
import type { MetricsRegistry } from './metrics-registry';

export interface Services {
  nodes: NodeStore;
  meta: ControllerMetaStore;
  /** Public key for inbound JWTs; null turns authentication off. */
  authKey: JwtKey | null;
  metrics: MetricsRegistry;
  /** How long gated routes wait for startup before answering 408 (ms). */
  readinessWaitMs: number;
}
