// `npm run test:deployed -- --url URL [--token TOKEN]`: the black-box HTTP suite (test/deployed/)
// against a running controller, `npm start`'s or a deployed stack's. Checks the target first (one
// line says what is wrong), then runs vitest with the target in its environment and exits with
// vitest's status.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { newTenantPrefix, removeLeftovers } from '../test/deployed/support/leftovers';
import { preflight } from '../test/deployed/support/preflight';

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected a URL, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`expected an http or https URL, got '${value}'`);
  return value.replace(/\/+$/, '');
}

function seconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return Number(value);
}

const program = new Command()
  .name('npm run test:deployed --')
  .description(
    'Run the black-box API suite against a running storage controller. It creates and deletes its own ' +
      'tenants and needs at least two Active, schedulable pageservers registered.',
  )
  .requiredOption(
    '--url <url>',
    'base URL of the controller (e.g. http://127.0.0.1:1234 or the stack ApiUrl)',
    httpUrl,
  )
  .option('--token <jwt>', 'admin-scope JWT, when the target has auth on [env DEPLOYED_TOKEN]')
  .option(
    '--wait-ready <seconds>',
    'keep asking /ready this long before giving up (a stack still starting)',
    seconds,
    0,
  )
  .argument('[filters...]', 'test file filters passed to vitest (e.g. nodes)')
  .showHelpAfterError()
  .parse();

const opts = program.opts<{ url: string; token?: string; waitReady: number }>();
const target = { url: opts.url, token: opts.token ?? (process.env.DEPLOYED_TOKEN || undefined) };
try {
  await preflight(target, opts.waitReady);
} catch (error) {
  console.error(`test:deployed: ${(error as Error).message}`);
  process.exit(1);
}

const root = join(import.meta.dirname, '..');
const tenantPrefix = newTenantPrefix();
const vitest = spawn(
  process.execPath,
  [
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    'vitest.deployed.config.ts',
    ...program.args,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      DEPLOYED_URL: target.url,
      DEPLOYED_TOKEN: target.token ?? '',
      DEPLOYED_TENANT_PREFIX: tenantPrefix,
    },
  },
);
// Ctrl-C stops vitest, and the leftovers are still removed below.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => vitest.kill(signal));
const code = await new Promise<number>((resolve) => vitest.on('exit', (c) => resolve(c ?? 1)));

// Tests delete their tenants; this finds any a failed or interrupted test left behind.
const leftovers = await removeLeftovers(target, tenantPrefix).catch(
  (error: Error) => `could not check for leftover tenants: ${error.message}`,
);
if (leftovers) console.error(`test:deployed: ${leftovers}`);
process.exit(leftovers ? 1 : code);
