// The application context: every port and setting a use case may need, supplied by the runtime's
// composition root (handlers/compose.ts). HTTP-only settings live in api/api-context.ts.
import type {
  ComputeHook,
  ControllerMetaStore,
  LeaseStore,
  NodeOperationStore,
  NodeStore,
  PageserverApi,
  TenantStore,
  WorkflowStarter,
} from '../core/ports';
import type { MetricsRegistry } from './metrics-registry';

/** Structured log lines (Powertools on Lambda, quiet locally). */
export interface LogPort {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
}

export interface AppContext {
  nodes: NodeStore;
  /** The background node operation (drain, fill, graceful delete). */
  operations: NodeOperationStore;
  tenants: TenantStore;
  leases: LeaseStore;
  meta: ControllerMetaStore;
  pageservers: PageserverApi;
  workflows: WorkflowStarter;
  /** Null when no compute hook URL is configured. */
  computeHook: ComputeHook | null;
  metrics: MetricsRegistry;
  log: LogPort;
  /** A drain skips a shard whose secondary lags more than this (bytes); absent: 256 MiB. */
  maxSecondaryLagBytes?: number;
  /** Budget for reconciling inline before an API call answers (ms). */
  inlineReconcileMs: number;
  /**
   * Epoch ms by which the current invocation (an API request, a task run) must answer; every wait
   * ends by it. Infinite in the composition root's own context, outside any invocation.
   */
  deadline: number;
}

/** The context of one invocation that must answer by `deadline` (or the outer one's, if sooner). */
export function withDeadline<C extends AppContext>(context: C, deadline: number): C {
  return { ...context, deadline: Math.min(deadline, context.deadline) };
}

/** `ms` from now, or the invocation's deadline if that comes first. */
export function within(context: Pick<AppContext, 'deadline'>, ms: number): number {
  return Math.min(Date.now() + ms, context.deadline);
}

export const quietLog: LogPort = { info: () => undefined, warn: () => undefined };
