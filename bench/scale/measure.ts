// The figures taken on a running stack: reconcile-all passes, balance, readiness, announcements.

import { type AddressInfo, createServer } from 'node:net';
import type { ComputeHookReceiver } from '../../local/sim/compute-hook-receiver';
import type { LocalStack } from '../../local/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Shards in the dirty index (it is eventually consistent; good enough to call a fleet idle). */
export async function countDirty(stack: LocalStack): Promise<number> {
  let dirty = 0;
  let cursor: string | undefined;
  do {
    const page = await stack.services.tenants.listDirty(500, cursor);
    dirty += page.ids.length;
    cursor = page.next;
  } while (cursor);
  return dirty;
}

/** Runs passes until nothing is dirty (as the reference's reconcile_until_idle), at most `max`. */
export async function reconcileUntilIdle(
  stack: LocalStack,
  max: number,
): Promise<{ passes: number; dirtyLeft: number; ms: number }> {
  const started = performance.now();
  let passes = 0;
  let dirty = await countDirty(stack);
  while (dirty > 0 && passes < max) {
    await stack.reconcileAllNow();
    passes += 1;
    dirty = await countDirty(stack);
  }
  return { passes, dirtyLeft: dirty, ms: performance.now() - started };
}

/** Warm-up passes at most before the timed ones. */
const MAX_WARM_UP_PASSES = 10;

/**
 * Times `n` reconcile-all passes on an idle fleet (a pass already running is waited out first).
 * Passes run first until one takes under a second (at most 10): after a start the optimizer reads
 * the whole fleet once, over several passes on a large one (core/optimizer-quiet.ts), and a pass
 * doing that is no idle pass. Those warm-up passes are reported too.
 */
export async function timeIdlePasses(
  stack: LocalStack,
  n: number,
): Promise<{ ms: number[]; dirty: number; warmUpMs: number[] }> {
  const warmUpMs: number[] = [];
  do {
    const started = performance.now();
    await stack.reconcileAllNow();
    warmUpMs.push(performance.now() - started);
  } while (warmUpMs.at(-1)! >= 1_000 && warmUpMs.length < MAX_WARM_UP_PASSES);
  const dirty = await countDirty(stack);
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await stack.reconcileAllNow();
    ms.push(performance.now() - started);
  }
  return { ms, dirty, warmUpMs };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

export interface Balance {
  perNode: number[];
  /** Largest distance from the mean, as % of the mean. */
  maxFromMeanPct: number;
  /** The reference's figure: (max − min) as % of all shards (gate: ≤ 5 %). */
  spreadPctOfTotal: number;
  /** Attached counts the table's node items hold (intent), for comparison. */
  counters: number[];
}

/** Attached locations each simulated pageserver holds. */
export async function measureBalance(stack: LocalStack): Promise<Balance> {
  const perNode = stack.fleet.pageservers.map(
    (p) =>
      p.locations().filter((l) => l.conf.mode === 'AttachedSingle' || l.conf.mode === 'AttachedMulti').length,
  );
  const total = perNode.reduce((a, b) => a + b, 0);
  const mean = total / Math.max(1, perNode.length);
  const counters = (await stack.services.nodes.list())
    .sort((a, b) => a.id - b.id)
    .map((n) => n.attachedCount);
  return {
    perNode,
    maxFromMeanPct: mean === 0 ? 0 : (Math.max(...perNode.map((c) => Math.abs(c - mean))) / mean) * 100,
    spreadPctOfTotal: total === 0 ? 0 : ((Math.max(...perNode) - Math.min(...perNode)) / total) * 100,
    counters,
  };
}

/** A free loopback port (for a stack whose /ready is watched while it starts). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Watches /ready from now while a start or restart runs: the time it first answered 200 and, if
 * `fresh` is given, only once `fresh()` says the answer comes from the new startup (a controller
 * restart's old controller answers 200 until it is stopped). `stop()` ends the watch early.
 */
export function watchReady(
  url: string,
  deadline: number,
  fresh: () => Promise<boolean> = async () => true,
): { readyAt: Promise<number | null>; stop(): void } {
  let stopped = false;
  const readyAt = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status === 200 && (await fresh())) return Date.now();
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) return null;
      await sleep(25);
    }
    return null;
  })();
  return {
    readyAt,
    stop: () => {
      stopped = true;
    },
  };
}

/** Polls /ready until 200; the time it answered, or null by `deadline`. */
export async function waitReady(url: string, deadline: number): Promise<number | null> {
  for (;;) {
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return Date.now();
    } catch {
      // not listening
    }
    if (Date.now() > deadline) return null;
    await sleep(50);
  }
}

export interface Announcements {
  /** Distinct tenants announced since the restart began. */
  tenants: number;
  /** Of those, announced by the time /ready answered. */
  byReady: number;
  /** When the last one came, from ready (or from the restart when never ready). */
  lastAfterReadyMs: number | null;
  /** Whether every tenant was announced before the bench stopped waiting. */
  complete: boolean;
  waitedMs: number;
}

/** Waits (up to `waitMs` after ready) until every tenant was announced since `since`. */
export async function awaitAnnouncements(
  hook: ComputeHookReceiver,
  since: number,
  readyAt: number | null,
  expected: number,
  waitMs: number,
): Promise<Announcements> {
  const from = readyAt ?? Date.now();
  const deadline = from + waitMs;
  const seen = new Set<string>();
  let byReady = 0;
  let last = 0;
  let scanned = 0;
  for (;;) {
    const all = hook.notifications;
    // Notifications arrive in order: only the new tail needs reading.
    for (; scanned < all.length; scanned++) {
      const n = all[scanned]!;
      if (n.at < since || seen.has(n.body.tenant_id)) continue;
      seen.add(n.body.tenant_id);
      last = n.at;
      if (readyAt !== null && n.at <= readyAt) byReady += 1;
    }
    if (seen.size >= expected || Date.now() > deadline) break;
    await sleep(100);
  }
  return {
    tenants: seen.size,
    byReady,
    lastAfterReadyMs: seen.size === 0 ? null : last - (readyAt ?? since),
    complete: seen.size >= expected,
    waitedMs: Date.now() - from,
  };
}

/** The simulators' "re-attached N shards" lines, timed from `since`. */
export class ReAttachLog {
  private since = Date.now();
  private entries = new Map<number, { shards: number; ms: number }>();

  reset(since: number): void {
    this.since = since;
    this.entries.clear();
  }

  /** The stack's log function passes every line through here. */
  observe(line: string): void {
    const m = /^pageserver (\d+): re-attached (\d+) shards/.exec(line);
    if (m) this.entries.set(Number(m[1]), { shards: Number(m[2]), ms: Date.now() - this.since });
  }

  get(): Map<number, { shards: number; ms: number }> {
    return new Map(this.entries);
  }
}
