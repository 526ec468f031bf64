/**
 * Compaction simulator CLI.
 *
 *   npm run compaction -- run-suite [--full] [--seed N] [--out DIR]
 *   npm run compaction -- run --scenario NAME [--algorithm tiered|naive|both] [--svg out.svg] [--full]
 *   npm run compaction -- render-png in.svg out.png [--at 0..1]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { renderSvgToPng } from './render-svg-png';
import { ALGORITHMS, type AlgorithmName, isAlgorithmName, storageAmp, writeAmp } from './simulator';
import {
  DEFAULT_SEED,
  describeScale,
  FULL_SCALE,
  formatTable,
  QUICK_SCALE,
  type RunResult,
  runScenario,
  SCENARIOS,
  type Scale,
} from './suite';
import { renderSvg } from './svg';
import { isWorkloadName, type WorkloadName } from './workloads';

const parseSeed = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('seed must be a non-negative integer');
  return n;
};

const parseScenario = (v: string): WorkloadName => {
  if (!isWorkloadName(v)) throw new InvalidArgumentError(`one of ${SCENARIOS.join(', ')}`);
  return v;
};

const parseAlgorithms = (v: string): AlgorithmName[] => {
  if (v === 'both') return [...ALGORITHMS];
  const names = v.split(',').map((s) => s.trim());
  const bad = names.find((n) => !isAlgorithmName(n));
  if (bad !== undefined || names.length === 0)
    throw new InvalidArgumentError(`one of ${ALGORITHMS.join(', ')}, both`);
  return names as AlgorithmName[];
};

const parseFraction = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a number within 0..1');
  return n;
};

/** A single progress line on stderr: rewritten in place on a terminal, one line per run otherwise. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly t0 = performance.now();
  private runStart = performance.now();

  start(label: string): void {
    this.runStart = performance.now();
    if (this.tty) this.write(`${label} ...`);
  }

  update(label: string, done: number, total: number): void {
    if (!this.tty) return;
    const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
    this.write(
      `${label} ${String(pct).padStart(3)}% (${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} records)`,
    );
  }

  finish(label: string): void {
    const s = ((performance.now() - this.runStart) / 1000).toFixed(1);
    if (this.tty) this.write(`${label} done in ${s} s`);
    else process.stderr.write(`${label} done in ${s} s\n`);
  }

  end(): string {
    if (this.tty) process.stderr.write('\n');
    return ((performance.now() - this.t0) / 1000).toFixed(1);
  }

  private write(s: string): void {
    process.stderr.write(`\r\x1b[2K${s}`);
  }
}

async function runAll(
  scale: Scale,
  seed: number,
  jobs: readonly (readonly [WorkloadName, AlgorithmName])[],
): Promise<{ results: RunResult[]; seconds: string }> {
  const progress = new Progress();
  const results: RunResult[] = [];
  for (const [i, [scenario, algorithm]] of jobs.entries()) {
    const label = `[${i + 1}/${jobs.length}] ${scenario} × ${algorithm}`;
    progress.start(label);
    results.push(
      await runScenario(scenario, algorithm, {
        scale,
        seed,
        onProgress: (done, total) => progress.update(label, done, total),
      }),
    );
    progress.finish(label);
  }
  return { results, seconds: progress.end() };
}

function subtitle(r: RunResult): string {
  return `write amp ${writeAmp(r.stats).toFixed(2)}, storage amp ${storageAmp(r.stats).toFixed(2)}, ${r.liveLayers} live files, read amp ${r.readAmp}`;
}

function svgFor(results: readonly RunResult[]): string {
  return renderSvg(
    results.map((r) => ({
      title: `${r.scenario} — ${r.algorithm}`,
      subtitle: subtitle(r),
      layers: r.layers,
      history: r.history,
    })),
  );
}

const program = new Command();
program.name('compaction').description('Tiered compaction simulator');

program
  .command('run-suite')
  .description('run every scenario with both algorithms and print one table')
  .option('--full', "the original suite's parameters (20 000 000 records over 5 000 MB)", false)
  .option('--seed <n>', 'PRNG seed', parseSeed, DEFAULT_SEED)
  .option('--out <dir>', 'also write the table and one SVG per scenario into this (fresh) directory')
  .action(async (opts: { full: boolean; seed: number; out?: string }) => {
    const scale = opts.full ? FULL_SCALE : QUICK_SCALE;
    const jobs = SCENARIOS.flatMap((s) => ALGORITHMS.map((a) => [s, a] as const));
    const { results, seconds } = await runAll(scale, opts.seed, jobs);
    const text = `${describeScale(scale, opts.seed)}\n\n${formatTable(results)}\n\nsimulated in ${seconds} s\n`;
    process.stdout.write(text);
    if (opts.out !== undefined) {
      await mkdir(opts.out, { recursive: false });
      await writeFile(join(opts.out, 'results.txt'), text);
      for (const s of SCENARIOS) {
        await writeFile(join(opts.out, `${s}.svg`), svgFor(results.filter((r) => r.scenario === s)));
      }
      process.stderr.write(`wrote ${opts.out}/results.txt and ${SCENARIOS.length} SVG files\n`);
    }
  });

program
  .command('run')
  .description('run one scenario, print its statistics and optionally write an SVG animation')
  .requiredOption('--scenario <name>', `one of ${SCENARIOS.join(', ')}`, parseScenario)
  .option('--algorithm <name>', `${ALGORITHMS.join(', ')}, or both (side by side)`, parseAlgorithms, [
    'tiered',
  ] as AlgorithmName[])
  .option('--svg <file>', 'write the animation here')
  .option('--full', "the original suite's parameters", false)
  .option('--seed <n>', 'PRNG seed', parseSeed, DEFAULT_SEED)
  .action(
    async (opts: {
      scenario: WorkloadName;
      algorithm: AlgorithmName[];
      svg?: string;
      full: boolean;
      seed: number;
    }) => {
      const scale = opts.full ? FULL_SCALE : QUICK_SCALE;
      const jobs = opts.algorithm.map((a) => [opts.scenario, a] as const);
      const { results, seconds } = await runAll(scale, opts.seed, jobs);
      process.stdout.write(
        `${describeScale(scale, opts.seed)}\n\n${formatTable(results)}\n\nsimulated in ${seconds} s\n`,
      );
      if (opts.svg !== undefined) {
        await writeFile(opts.svg, svgFor(results));
        process.stderr.write(`wrote ${opts.svg}\n`);
      }
    },
  );

program
  .command('render-png')
  .description('render one frame of an SVG animation to PNG with headless Chromium')
  .argument('<svg>', 'input SVG')
  .argument('<png>', 'output PNG')
  .option('--at <fraction>', 'point of the timeline to show, 0..1', parseFraction, 1)
  .option('--chromium <path>', 'Chromium binary', '/usr/bin/chromium')
  .action(async (svg: string, png: string, opts: { at: number; chromium: string }) => {
    await renderSvgToPng(svg, png, { at: opts.at, chromium: opts.chromium });
    process.stderr.write(`wrote ${png}\n`);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
