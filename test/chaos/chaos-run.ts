// One seeded chaos run: random steps against the local stack, remote-storage checks at every
// pageserver call, then heal and check convergence. The steps depend only on the seed (the model
// below changes when a step is launched, not when it ends), so a seed replays the same steps;
// their timing, and so some outcomes, may differ between runs.
import type { SafetyViolation } from '../../local/sim/remote-storage';
import { type ChaosStack, type ChaosStackOptions, sleep, startChaosStack, waitUntil } from './chaos-stack';
import { type ModelTenant, NODE_IDS, nextStep } from './chaos-steps';
import { convergenceProblems } from './oracle';
import { Prng } from './prng';

export interface ChaosOptions extends ChaosStackOptions {
  seed: number;
  steps: number;
  /** Steps running at once at most (others wait). */
  maxInFlight?: number;
  /** How long a step is given before the next one starts (it may go on in the background). */
  paceMs?: number;
  /**
   * Stop launching steps after this long (the run still heals and checks). On a loaded machine
   * fewer steps run; the report says how many. Absent: no limit.
   */
  budgetMs?: number;
  log?: (line: string) => void;
}

export interface RecordedViolation {
  step: number;
  action: string;
  inFlight: string[];
  violation: SafetyViolation;
}

export interface ChaosReport {
  seed: number;
  steps: number;
  /** Steps launched (fewer than `steps` if the time budget ran out). */
  launched: number;
  ms: number;
  violations: RecordedViolation[];
  convergence: string[];
  /** Tenants whose timeline create failed after healing (liveness). */
  stuck: string[];
  /** Every step as launched, with its outcome. */
  journal: string[];
  outcomes: Record<string, Record<string, number>>;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const rng = new Prng(options.seed);
  const chaos = await startChaosStack(options);
  const journal: string[] = [];
  const violations: RecordedViolation[] = [];
  const outcomes: Record<string, Record<string, number>> = {};
  const inFlight = new Map<Promise<void>, string>();
  let current = { step: 0, action: 'startup' };
  chaos.fleet.storage.onViolation = (violation) => {
    violations.push({ ...current, inFlight: [...inFlight.values()], violation });
    log(`VIOLATION at step ${current.step} (${current.action}): ${violation.message}`);
  };
  const tenants: ModelTenant[] = [];
  const deleted: string[] = [];
  let launched = 0;
  try {
    for (let step = 1; step <= options.steps; step++) {
      if (options.budgetMs !== undefined && Date.now() - started > options.budgetMs) {
        log(`time budget of ${options.budgetMs} ms spent after ${launched} steps`);
        break;
      }
      launched = step;
      const s = nextStep(rng, chaos, tenants, deleted);
      const label = `#${step} ${s.name} ${s.detail}`;
      current = { step, action: label };
      const began = Date.now();
      const done = s
        .run()
        .catch((error: Error) => `threw ${error.message}`)
        .then((outcome) => {
          journal.push(`${label} → ${outcome} (${Date.now() - began} ms)`);
          log(`${journal.at(-1)} [t=${Math.round((Date.now() - started) / 1000)}s]`);
          outcomes[s.name] = outcomes[s.name] ?? {};
          const kind = outcomes[s.name]!;
          const key = outcome.split(' ')[0]!;
          kind[key] = (kind[key] ?? 0) + 1;
        });
      if (s.exclusive) {
        await done;
        continue;
      }
      const tracked: Promise<void> = done.finally(() => inFlight.delete(tracked));
      inFlight.set(tracked, label);
      await Promise.race([tracked, sleep(options.paceMs ?? 80)]);
      // Bounded: every step's calls end within the API's 30 s limit.
      while (inFlight.size >= (options.maxInFlight ?? 6))
        await Promise.race([...inFlight.keys(), sleep(1_000)]);
    }
    current = { step: launched, action: 'waiting for the last steps' };
    await Promise.race([Promise.all(inFlight.keys()), sleep(40_000)]);
    current = { step: launched + 1, action: 'heal' };
    const convergence = await heal(chaos, deleted, log);
    const stuck = convergence.length === 0 ? await livenessProbe(chaos, rng, log) : [];
    return {
      seed: options.seed,
      steps: options.steps,
      launched,
      ms: Date.now() - started,
      violations,
      convergence,
      stuck,
      journal,
      outcomes,
    };
  } finally {
    chaos.clearFaults();
    await chaos.stop();
  }
}

/** Clears every fault, waits for restarts and workflows, then reconcile-all passes until converged (bounded). */
async function heal(chaos: ChaosStack, deleted: string[], log: (line: string) => void): Promise<string[]> {
  chaos.clearFaults();
  for (const ps of chaos.fleet.pageservers) {
    await waitUntil(() => !ps.isRestarting, 10_000);
    if (!ps.isRunning) await ps.start();
    await ps.waitUntilActive(15_000).catch(() => undefined);
  }
  // A drain or fill still running is cancelled (its node's configuration is locked until then);
  // every node ends Active and schedulable, as an operator finishing a rolling restart leaves it.
  for (const node of NODE_IDS)
    for (const what of ['drain', 'fill']) await chaos.call('DELETE', `/control/v1/node/${node}/${what}`);
  const activate = async () => {
    for (const node of NODE_IDS)
      await chaos.call('PUT', `/control/v1/node/${node}/config`, {
        node_id: node,
        availability: 'Active',
        scheduling: 'Active',
      });
  };
  await activate();
  await waitUntil(
    async () => {
      const res = await chaos.call('GET', '/debug/v1/workflows?status=RUNNING&limit=50', undefined, 5_000);
      return res.status === 200 && (res.body as unknown[]).length === 0;
    },
    30_000,
    200,
  );
  await activate();
  // The control plane retries a deletion that did not finish.
  const known = new Set((await chaos.dump().catch(() => [])).map((s) => s.tenant_shard_id.slice(0, 32)));
  for (const id of deleted.filter((d) => known.has(d))) await chaos.call('DELETE', `/v1/tenant/${id}`);
  let problems: string[] = [];
  // Passes until converged, for up to 45 s: longer than an in-flight mark's 30 s, which holds up
  // an attach elsewhere after a call that failed (it may still land), however quick the passes.
  const deadline = Date.now() + 45_000;
  for (let pass = 1; Date.now() < deadline; pass++) {
    await Promise.race([chaos.api.stack.reconcileAllNow(), sleep(20_000)]);
    problems = await convergenceProblems(chaos);
    log(`heal pass ${pass}: ${problems.length} problems`);
    if (problems.length === 0) break;
    await sleep(1_000);
  }
  return problems;
}

/** The longest a lease of a crashed holder outlives it (API operations, split recovery), plus margin. */
const LEASE_EXPIRY_MS = 75_000;

/** After healing, a timeline create must succeed on every attached tenant (none is wedged). */
async function livenessProbe(chaos: ChaosStack, rng: Prng, log: (line: string) => void): Promise<string[]> {
  const shards = await chaos.dump();
  const attached = [
    ...new Set(
      shards
        .filter((s) => s.policy !== 'Detached' && s.policy !== 'Secondary')
        .map((s) => s.tenant_shard_id.slice(0, 32)),
    ),
  ];
  const stuck: string[] = [];
  // 503 is "retry later": a lease left by a killed controller's request or recovery expires
  // within a minute, so a tenant is wedged only if it still refuses after that.
  const deadline = Date.now() + LEASE_EXPIRY_MS;
  for (const tenant of attached.slice(0, 8)) {
    for (;;) {
      const res = await chaos.call(
        'POST',
        `/v1/tenant/${tenant}/timeline`,
        { new_timeline_id: rng.hexId() },
        15_000,
      );
      if (res.status === 201) break;
      if (res.status !== 503 || Date.now() > deadline) {
        stuck.push(`tenant ${tenant}: timeline create after healing answered ${res.status} ${res.text}`);
        break;
      }
      await sleep(1_000);
    }
  }
  if (stuck.length > 0) log(`liveness: ${stuck.join('; ')}`);
  return stuck;
}

/** The failure message: seed, first violating step, violations grouped, convergence problems. */
export function describeReport(report: ChaosReport): string {
  const lines = [
    `chaos seed ${report.seed}, ${report.launched} of ${report.steps} steps run, ${Math.round(report.ms / 1000)} s`,
    `replay: CHAOS_SEED=${report.seed} CHAOS_STEPS=${report.steps} npm run chaos`,
  ];
  if (report.violations.length > 0) {
    const first = report.violations[0]!;
    lines.push(
      `${report.violations.length} safety violation(s); first at step ${first.step} (${first.action}), in flight: ${first.inFlight.join(' | ') || 'nothing'}`,
    );
    const seen = new Set<string>();
    for (const v of report.violations) {
      const key = `${v.violation.kind}:${v.violation.message.replace(/[0-9a-f]{32}(-[0-9a-f]{4})?/g, 'S')}`;
      if (seen.has(key) && seen.size > 25) continue;
      seen.add(key);
      lines.push(`  step ${v.step} [${v.violation.kind}] ${v.violation.message}`);
      lines.push(`    during: ${[v.action, ...v.inFlight].join(' | ')}`);
      if (lines.length > 120) break;
    }
  }
  if (report.convergence.length > 0) {
    lines.push(`${report.convergence.length} convergence problem(s) after healing:`);
    for (const p of report.convergence.slice(0, 40)) lines.push(`  ${p}`);
  }
  if (report.stuck.length > 0) {
    lines.push('wedged after healing:');
    for (const p of report.stuck) lines.push(`  ${p}`);
  }
  lines.push(`outcomes: ${JSON.stringify(report.outcomes)}`);
  return lines.join('\n');
}

/** The journal lines around a step (what ran just before it). */
export function journalAround(report: ChaosReport, step: number, before = 15): string[] {
  const idx = report.journal.findIndex((line) => line.startsWith(`#${step} `));
  return idx < 0 ? report.journal.slice(-before) : report.journal.slice(Math.max(0, idx - before), idx + 3);
}
