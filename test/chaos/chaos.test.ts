// The project's own chaos test: a seeded run of random steps (faults, operations, controller
// restarts) against the local stack, with remote storage checking the generation rules at every
// pageserver call, then healing and checking convergence. 300 steps by default;
// `CHAOS_STEPS=2000 CHAOS_SEED=n npm run chaos` for a long run. A failure prints the seed, the
// step and the violations; the same seed replays the same steps.
import { describe, expect, it } from 'vitest';
import { describeReport, journalAround, runChaos } from './chaos-run';

const steps = Number(process.env.CHAOS_STEPS ?? 300);
const seed = Number(process.env.CHAOS_SEED ?? 1);
const verbose = process.env.CHAOS_VERBOSE === '1';
// The default run stops launching steps after 120 s so that `npm test` stays bounded on a busy
// machine (the report says how many ran); CHAOS_BUDGET_S sets it, 0 for none (long runs).
const budgetS = Number(process.env.CHAOS_BUDGET_S ?? (process.env.CHAOS_STEPS ? 0 : 120));

describe('chaos', () => {
  it(
    `keeps generations safe and converges after ${steps} random steps (seed ${seed})`,
    async () => {
      const report = await runChaos({
        seed,
        steps,
        budgetMs: budgetS > 0 ? budgetS * 1000 : undefined,
        log: verbose ? (line) => console.log(line) : undefined,
      });
      console.log(
        `chaos seed ${seed}: ${report.launched} of ${steps} steps in ${Math.round(report.ms / 1000)} s`,
      );
      const failed = report.violations.length > 0 || report.convergence.length > 0 || report.stuck.length > 0;
      if (failed) {
        const at = report.violations[0]?.step ?? steps;
        console.error(
          `${describeReport(report)}\njournal up to step ${at}:\n  ${journalAround(report, at).join('\n  ')}`,
        );
      }
      expect(report.violations.map((v) => `step ${v.step}: ${v.violation.message}`)).toEqual([]);
      expect(report.convergence).toEqual([]);
      expect(report.stuck).toEqual([]);
    },
    // each step is bounded (API calls end within 30 s, faults drop within 1.5 s); the run is paced
    Math.max(180_000, steps * 1_000 + 120_000),
  );
});
