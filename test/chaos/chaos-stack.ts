// The local stack as the chaos test and the bug scenarios drive it: a few simulated pageservers,
// the compute-hook receiver, short workflow retry pauses, API calls that never throw and always
// end, and a controller that can be killed (its running workflows die with it) and restarted.
import type { AppContext } from '../../lambdas/app/context';
import type { TaskHandler } from '../../lambdas/tasks/registry';
import type { ComputeHookReceiver } from '../../local/sim/compute-hook-receiver';
import type { SimFleet } from '../../local/sim/fleet';
import type { PageserverSim } from '../../local/sim/pageserver';
import { startTestApi, type TestApi } from '../support/api-stack';

export interface ChaosResponse {
  /** 0 when the call failed in transport or timed out. */
  status: number;
  body: unknown;
  text: string;
  ms: number;
}

/** A shard as GET /debug/v1/tenant dumps it. */
export interface DumpedShard {
  tenant_shard_id: string;
  shard: { number: number; count: number; stripe_size: number };
  generation: number;
  generation_pageserver: number | null;
  policy: unknown;
  intent: { attached: number | null; secondary: number[] };
  observed: { locations: Record<string, { conf: { mode: string; generation: number | null } | null }> };
  splitting: 'Splitting' | 'Idle';
  last_error: string;
  pending_compute_notification: boolean;
}

export interface ChaosStack {
  api: TestApi;
  fleet: SimFleet;
  hook: ComputeHookReceiver;
  pageserver(nodeId: number): PageserverSim;
  /** An API call bounded by `timeoutMs` (default 30 s, API Gateway's own limit); never throws. */
  call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<ChaosResponse>;
  /** Every shard the controller knows (throws if the dump fails). */
  dump(): Promise<DumpedShard[]>;
  /**
   * Kills the controller: the workflows it was running die (every later task of theirs fails at
   * once, as if the process that ran them was gone), then a fresh controller starts on the same
   * table and runs startup reconciliation. Calls in flight to the old API lose their connection.
   */
  killController(): Promise<void>;
  /** Clears every fault on every pageserver and the hook (releasing hung calls). */
  clearFaults(): void;
  stop(): Promise<void>;
}

export interface ChaosStackOptions {
  pageservers?: number;
  /** Deadline of one pageserver call, retries included. */
  pageserverTimeoutMs?: number;
  /** Workflow Retry pauses (ms) instead of the ASL's seconds. */
  retryIntervalMs?: number;
}

/** CHAOS_TRACE=1 prints every workflow task as it starts and ends (to follow a failing seed). */
const trace =
  process.env.CHAOS_TRACE === '1'
    ? (line: string) => process.stderr.write(`[task ${new Date().toISOString().slice(11, 23)}] ${line}\n`)
    : undefined;

export async function startChaosStack(options: ChaosStackOptions = {}): Promise<ChaosStack> {
  const dead = new WeakSet<AppContext>();
  const api = await startTestApi({
    pageservers: options.pageservers ?? 3,
    pageserverTimeoutMs: options.pageserverTimeoutMs ?? 5_000,
    // Heartbeats on, fast: a node silent for 2 s goes Offline and fails over.
    heartbeatIntervalSeconds: 0.5,
    maxOfflineIntervalSeconds: 2,
    maxWarmingUpIntervalSeconds: 10,
    workflowOptions: {
      retryIntervalMs: options.retryIntervalMs ?? 100,
      wrapTask:
        (task: string, handler: TaskHandler): TaskHandler =>
        async (input, context) => {
          if (dead.has(context)) throw new Error(`controller killed: task ${task} of a dead controller`);
          if (!trace) return handler(input, context);
          const label = `${task} ${JSON.stringify(input).slice(0, 160)}`;
          trace(`→ ${label}`);
          try {
            const out = await handler(input, context);
            trace(`✓ ${label} ${JSON.stringify(out ?? null).slice(0, 160)}`);
            return out;
          } catch (error) {
            trace(`✗ ${label} ${(error as Error).name}: ${(error as Error).message}`);
            throw error;
          }
        },
    },
  });
  const stack = api.stack;
  const call = async (method: string, path: string, body?: unknown, timeoutMs = 30_000) => {
    const started = Date.now();
    try {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed, text, ms: Date.now() - started };
    } catch (error) {
      const text = (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
      return { status: 0, body: null, text, ms: Date.now() - started };
    }
  };
  return {
    api,
    fleet: stack.fleet,
    hook: stack.computeHook!,
    pageserver: (nodeId) => stack.fleet.byId(nodeId),
    call,
    async dump() {
      const res = await call('GET', '/debug/v1/tenant', undefined, 15_000);
      if (res.status !== 200) throw new Error(`GET /debug/v1/tenant answered ${res.status}: ${res.text}`);
      return res.body as DumpedShard[];
    },
    async killController() {
      dead.add(stack.services as unknown as AppContext);
      await stack.restartController();
    },
    clearFaults() {
      for (const ps of stack.fleet.pageservers) {
        ps.faults.clear();
        // releases hung calls the same way DELETE /sim/v1/faults does
        void fetch(`${ps.baseUrl}/sim/v1/faults`, { method: 'DELETE' }).catch(() => undefined);
      }
      stack.computeHook?.faults.clear();
      void fetch(stack.computeHook!.url.replace('/notify', '/sim/v1/faults'), { method: 'DELETE' }).catch(
        () => undefined,
      );
    },
    stop: () => api.stop(),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}
