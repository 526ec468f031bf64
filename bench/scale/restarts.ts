// The two restarts: the controller alone (pageservers keep running), and the whole stack
// (controller and pageservers, pageservers keeping their disks; DynamoDB stays up, as it does on
// AWS). A restart that fails is a figure, not a crash: what failed, and after how long.
import type { ComputeHookReceiver } from '../../local/sim/compute-hook-receiver';
import type { SimDisk } from '../../local/sim/pageserver';
import type { LocalStack } from '../../local/stack';
import { type CallCounts, DynamoCallCounter } from './dynamo-calls';
import { type Announcements, awaitAnnouncements, type ReAttachLog, waitReady, watchReady } from './measure';

export interface RestartResult {
  /** Restart to /ready 200; null if it never answered. */
  readyMs: number | null;
  /** The start call's failure, if it failed. */
  error: string | null;
  failedAfterMs: number | null;
  /** DynamoDB calls from the restart until ready (or the failure). */
  calls: CallCounts;
  /** Whole stack only: when each pageserver's re-attach answered, from the restart. */
  reAttach: Map<number, { shards: number; ms: number }> | null;
  /** Whole stack only: re-attach calls each pageserver made (more than 1: it gave up and retried). */
  reAttachAttempts: number[] | null;
  /** What the startup workflow reported (null when it did not finish). */
  startup: { notified: number; notifyFailed: number; offline: number[] } | null;
  announcements: Announcements;
}

export interface RestartEnv {
  hook: ComputeHookReceiver;
  counter: DynamoCallCounter;
  reAttachLog: ReAttachLog;
  /** Tenants in the fleet: how many announcements make "all". */
  tenants: number;
  readyTimeoutMs: number;
  announceWaitMs: number;
}

const message = (error: unknown) => (error as Error).message.split('\n')[0]!.slice(0, 300);

export async function restartControllerOnly(stack: LocalStack, env: RestartEnv): Promise<RestartResult> {
  const before = env.counter.snapshot();
  const t0 = Date.now();
  let error: string | null = null;
  let failedAfterMs: number | null = null;
  let readyAt: number | null;
  // Ready is /ready answering 200 for the new startup (its MarkReady), not the end of the startup
  // workflow: announcements run after ready, and restartController waits for them too.
  const meta = stack.services.meta;
  const oldEpoch = (await meta.get()).startupEpoch;
  const watch = watchReady(stack.url, t0 + env.readyTimeoutMs, async () => {
    const now = await meta.get();
    return now.startupEpoch !== oldEpoch && now.readyEpoch === now.startupEpoch;
  });
  let calls: CallCounts | null = null;
  void watch.readyAt.then(() => {
    calls = DynamoCallCounter.since(before, env.counter.snapshot());
  });
  try {
    await stack.restartController();
    readyAt = await watch.readyAt;
  } catch (e) {
    error = message(e);
    failedAfterMs = Date.now() - t0;
    // The new controller may still get there: give it the rest of the bench's patience.
    readyAt = (await watch.readyAt) ?? (await waitReady(stack.url, t0 + env.readyTimeoutMs));
  }
  calls ??= DynamoCallCounter.since(before, env.counter.snapshot());
  const announcements = await awaitAnnouncements(env.hook, t0, readyAt, env.tenants, env.announceWaitMs);
  return {
    readyMs: readyAt === null ? null : readyAt - t0,
    error,
    failedAfterMs,
    calls,
    reAttach: null,
    reAttachAttempts: null,
    startup: error
      ? null
      : {
          notified: stack.startup.notified,
          notifyFailed: stack.startup.notifyFailed,
          offline: stack.startup.offline,
        },
    announcements,
  };
}

/**
 * Starts a whole stack on an existing fleet: the table as it is and pageservers with `disks`.
 * Returns the running stack, or null when the start failed (the stack has stopped what it started).
 */
export async function startWholeStack(
  start: (disks: SimDisk[], port: number) => Promise<LocalStack>,
  disks: SimDisk[],
  env: RestartEnv,
  port: number,
): Promise<{ stack: LocalStack | null; result: RestartResult }> {
  const before = env.counter.snapshot();
  const t0 = Date.now();
  env.reAttachLog.reset(t0);
  let stack: LocalStack | null = null;
  let error: string | null = null;
  let failedAfterMs: number | null = null;
  let readyAt: number | null = null;
  // Ready is /ready answering 200 (the startup's MarkReady); the start itself returns only once
  // the startup workflow has finished, announcements included.
  const watch = watchReady(`http://127.0.0.1:${port}`, t0 + env.readyTimeoutMs);
  let calls: CallCounts | null = null;
  void watch.readyAt.then(() => {
    calls = DynamoCallCounter.since(before, env.counter.snapshot());
  });
  try {
    // The start returns once every pageserver re-attached and the startup's announcements are
    // done; past the bench's patience for both it is a failed start, whatever /ready said.
    const patience = env.readyTimeoutMs + env.announceWaitMs;
    let timer: NodeJS.Timeout | undefined;
    const starting = start(disks, port);
    starting.catch(() => undefined);
    stack = await Promise.race([
      starting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the start had not finished after ${Math.round(patience / 1000)} s`)),
          patience,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    readyAt = await watch.readyAt;
  } catch (e) {
    error = message(e);
    failedAfterMs = Date.now() - t0;
    // The controller may have been ready long before the start failed (a pageserver's re-attach
    // never finishing, say): that time is still a figure.
    readyAt = await Promise.race([watch.readyAt, Promise.resolve(null)]);
    watch.stop();
  }
  calls ??= DynamoCallCounter.since(before, env.counter.snapshot());
  const reAttach = env.reAttachLog.get();
  const announcements = stack
    ? await awaitAnnouncements(env.hook, t0, readyAt, env.tenants, env.announceWaitMs)
    : await awaitAnnouncements(env.hook, t0, null, env.tenants, 0);
  return {
    stack,
    result: {
      readyMs: readyAt === null ? null : readyAt - t0,
      error,
      failedAfterMs,
      calls,
      reAttach,
      reAttachAttempts: stack ? stack.fleet.pageservers.map((p) => p.reAttachAttempts) : null,
      startup: stack
        ? {
            notified: stack.startup.notified,
            notifyFailed: stack.startup.notifyFailed,
            offline: stack.startup.offline,
          }
        : null,
      announcements,
    },
  };
}
