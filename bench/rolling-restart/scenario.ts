// The reference's graceful rolling restart (later-features.md §3.1 step 7, §4 test 23), node by
// node through the HTTP API: drain → PauseForRestart with 0 attached (total unchanged) →
// pageserver restart → Active (re-attach) → fill → Active, balanced within 5 %. A sampler watches
// the simulated pageservers meanwhile and records, per shard, the longest time no pageserver
// held it attached. Used by bench/rolling-restart.ts (6 nodes, 1 000 shards) and by a smaller test.
import { isBalanced } from '../../lambdas/core/drain-fill-plan';
import type { LocalStack } from '../../local/stack';

export interface NodeRound {
  node: number;
  /** Executions the drain and the fill took (more than one each when they continued as new). */
  executions: number;
  /** Each execution's last round: rounds, moves planned, shards skipped. */
  progress: string;
  drainMs: number;
  restartMs: number;
  fillMs: number;
  /** Attached shards on the node after its drain (want 0). */
  attachedAfterDrain: number;
  /** Attached shards per node after its fill, by node id. */
  countsAfterFill: number[];
  balancedAfterFill: boolean;
  /** Shards attached in the cluster after drain and after fill (want the total each time). */
  totalAfterDrain: number;
  totalAfterFill: number;
}

export interface RollingRestartResult {
  ms: number;
  rounds: NodeRound[];
  /** The longest stretch, in ms, during which some shard had no attached location anywhere. */
  longestGapMs: number;
  /** Shards that were ever seen with no attached location. */
  shardsWithGap: number;
  samples: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(stack: LocalStack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : null };
}

async function policyOf(stack: LocalStack, node: number): Promise<string | undefined> {
  const res = await call(stack, 'GET', '/control/v1/node');
  return (res.body as Array<{ id: number; scheduling: string }>).find((n) => n.id === node)?.scheduling;
}

/**
 * Starts the operation, then polls the node's policy as an orchestrator does until it leaves
 * the operation's (Draining, Filling); a long operation may run as several executions in turn
 * (continue-as-new). Returns how many executions it took.
 */
async function runOperation(stack: LocalStack, node: number, kind: 'drain' | 'fill', limitMs: number) {
  const path = `/control/v1/node/${node}/${kind}`;
  const started = await call(stack, 'PUT', path);
  if (started.status !== 202) throw new Error(`PUT ${path}: ${started.status} ${started.text}`);
  const during = kind === 'drain' ? 'Draining' : 'Filling';
  const until = Date.now() + limitMs;
  while ((await policyOf(stack, node)) === during) {
    if (Date.now() > until) throw new Error(`${path}: still ${during} after ${limitMs} ms`);
    await sleep(100);
  }
  const listed = await call(stack, 'GET', '/debug/v1/workflows?limit=1000');
  const mine = (listed.body as Array<{ name: string; status: string; output: unknown }>).filter((e) =>
    e.name.startsWith(`${kind}-node-${node}-`),
  );
  const failed = mine.filter((e) => e.status !== 'SUCCEEDED' && e.status !== 'RUNNING');
  if (failed.length > 0) throw new Error(`${path}: ${failed.map((e) => `${e.name} ${e.status}`).join(', ')}`);
  // Rounds and moves planned, from each execution's last plan.
  const rounds = mine.map((e) => (e.output as { plan?: { progress?: unknown } } | null)?.plan?.progress);
  return { executions: mine.length, rounds: JSON.stringify(rounds) };
}

function attachedCounts(stack: LocalStack): number[] {
  return stack.fleet.pageservers.map(
    (ps) => ps.locations().filter((l) => l.conf.mode === 'AttachedSingle').length,
  );
}

/** Watches every shard's attached locations every `everyMs` ms until stopped. */
function gapSampler(stack: LocalStack, shards: readonly string[], everyMs: number) {
  const missingSince = new Map<string, number>();
  const everMissing = new Set<string>();
  let longest = 0;
  let samples = 0;
  const timer = setInterval(() => {
    samples += 1;
    const now = performance.now();
    const attached = new Set<string>();
    for (const ps of stack.fleet.pageservers)
      for (const l of ps.locations()) if (l.conf.mode.startsWith('Attached')) attached.add(l.shard);
    for (const shard of shards) {
      if (attached.has(shard)) {
        missingSince.delete(shard);
        continue;
      }
      everMissing.add(shard);
      const since = missingSince.get(shard) ?? now;
      missingSince.set(shard, since);
      // A single sample counts as one interval: the shard was missing for at least that long.
      longest = Math.max(longest, now - since + everyMs);
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { longestGapMs: longest, shardsWithGap: everMissing.size, samples };
    },
  };
}

export async function rollingRestart(
  stack: LocalStack,
  shards: readonly string[],
  options: { operationLimitMs: number; sampleEveryMs?: number; log?: (line: string) => void },
): Promise<RollingRestartResult> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const sampler = gapSampler(stack, shards, options.sampleEveryMs ?? 10);
  const rounds: NodeRound[] = [];
  try {
    for (const ps of stack.fleet.pageservers) {
      const node = ps.nodeId;
      let t = performance.now();
      const drain = await runOperation(stack, node, 'drain', options.operationLimitMs);
      const drainMs = performance.now() - t;
      if ((await policyOf(stack, node)) !== 'PauseForRestart')
        throw new Error(`node ${node} is ${await policyOf(stack, node)} after its drain`);
      const afterDrain = attachedCounts(stack);

      t = performance.now();
      await ps.restart();
      await ps.waitUntilActive();
      for (let i = 0; (await policyOf(stack, node)) !== 'Active'; i++) {
        if (i > 240) throw new Error(`node ${node} not Active within 24 s of its restart`);
        await sleep(100);
      }
      const restartMs = performance.now() - t;

      t = performance.now();
      const fill = await runOperation(stack, node, 'fill', options.operationLimitMs);
      const fillMs = performance.now() - t;
      const afterFill = attachedCounts(stack);
      const round: NodeRound = {
        node,
        executions: drain.executions + fill.executions,
        progress: `drain ${drain.rounds}; fill ${fill.rounds}`,
        drainMs,
        restartMs,
        fillMs,
        attachedAfterDrain: afterDrain[node - 1] ?? -1,
        countsAfterFill: afterFill,
        balancedAfterFill: isBalanced(afterFill),
        totalAfterDrain: afterDrain.reduce((a, b) => a + b, 0),
        totalAfterFill: afterFill.reduce((a, b) => a + b, 0),
      };
      rounds.push(round);
      log(
        `node ${node}: drain ${Math.round(drainMs)} ms (left ${round.attachedAfterDrain}), restart ${Math.round(restartMs)} ms, fill ${Math.round(fillMs)} ms → ${afterFill.join('/')}`,
      );
    }
  } catch (error) {
    sampler.stop();
    throw error;
  }
  return { ms: performance.now() - started, rounds, ...sampler.stop() };
}
