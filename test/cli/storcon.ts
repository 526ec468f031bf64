// Runs the storcon CLI as a subprocess (as an operator would) against a local stack.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function storcon(
  api: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliRun> {
  // The caller's own STORCON_* settings must not leak into a test.
  const { STORCON_API: _a, STORCON_TOKEN: _t, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bin', 'storcon.ts'), '--api', api, ...args],
      {
        cwd: ROOT,
        env: { ...inherited, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A table's rows as cells (split on runs of 2+ spaces), without its rule line. */
export function tableRows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .filter((line) => !/^[- ]+$/.test(line))
    .map((line) => line.trim().split(/ {2,}/));
}

export function expectOk(run: CliRun): CliRun {
  if (run.code !== 0)
    throw new Error(`storcon exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}
