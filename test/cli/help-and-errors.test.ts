// storcon as a whole: `npx storcon --help` from the repository lists every command on one line,
// and failures exit non-zero with a message: 2 for bad usage, 1 for an unreachable controller or a
// refusal (the server's own message printed), 401 without the token a controller wants.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local';
import { startTestApi, type TestApi } from '../support/api-stack';
import { makeKeyPair, mintToken } from '../support/jwt';
import { expectOk, storcon } from './storcon';

const COMMANDS = [
  'nodes',
  'node-configure',
  'node-delete',
  'start-drain',
  'cancel-drain',
  'start-fill',
  'cancel-fill',
  'tenants',
  'tenant-describe',
  'tenant-create',
  'tenant-shard-split',
  'tenant-shard-migrate',
  'tenant-shard-migrate-secondary',
  'tenant-shard-cancel-reconcile',
  'tenant-policy',
  'patch-tenant-config',
  'tenant-config',
  'tenant-drop',
  'node-drop',
  'reconcile-all',
  'consistency-check',
  'workflows',
  'workflow-describe',
  'workflow-watch',
  'rolling-restart',
];

describe('npx storcon --help', () => {
  it('lists every subcommand, each with a one-line description', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const { stdout } = await promisify(execFile)('npx', ['storcon', '--help'], {
      cwd: root,
      env: { ...process.env, COLUMNS: '300' },
    });
    const lines = stdout.split('\n');
    for (const command of COMMANDS) {
      const line = lines.find((l) => new RegExp(`^  ${command}( |$)`).test(l));
      expect(line, `${command} in --help`).toBeDefined();
      // name, its arguments, then a description of some words on the same line
      expect(line!.replace(/^ +\S+( \[options\])?( [[<]\S+[\]>])? +/, ''), command).toMatch(
        /^[A-Z]\S* \S+ \S+/,
      );
    }
  });
});

describe('failures', () => {
  it('exits 1 naming the URL when nothing answers there', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const run = await storcon(api, ['nodes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^storcon: cannot reach ${api}: GET /control/v1/node failed: ECONNREFUSED`),
    );
    expect(run.stdout).toBe('');
  });

  it('exits 2 on bad usage, before calling anything', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const bad = await storcon(api, ['node-configure', '--node-id', '1', '--scheduling', 'sideways']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown scheduling policy 'sideways'");
    expect((await storcon(api, ['tenant-policy', '--tenant-id', 'x', '--placement', 'attached:'])).code).toBe(
      2,
    );
    expect((await storcon(api, ['no-such-command'])).code).toBe(2);
    const drop = await storcon(api, ['node-drop', '--node-id', '1']);
    expect(drop.code).toBe(2);
    expect(drop.stderr).toContain('add `--unclean` to proceed');
  });
});

describe('authentication', () => {
  let api: TestApi;
  let admin: string;
  beforeAll(async () => {
    const keys = makeKeyPair();
    const upcall = mintToken(keys.privateKey, { scope: 'generations_api' });
    admin = mintToken(keys.privateKey, { scope: 'admin' });
    api = await startTestApi({ pageservers: 1, publicKeyPem: keys.publicKeyPem, upcallJwtToken: upcall });
  });
  afterAll(() => api.stop());

  it('sends --token, --jwt or STORCON_TOKEN as a Bearer token; without one the 401 is printed', async () => {
    const url = api.stack.url;
    const refused = await storcon(url, ['nodes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^storcon: GET \/control\/v1\/node failed: 401 /);
    expectOk(await storcon(url, ['--token', admin, 'nodes']));
    expectOk(await storcon(url, ['nodes', '--jwt', admin]));
    const viaEnv = expectOk(await storcon(url, ['nodes', '--json'], { env: { STORCON_TOKEN: admin } }));
    expect(JSON.parse(viaEnv.stdout).map((n: { id: number }) => n.id)).toEqual([1]);
  });

  it('takes the API URL from STORCON_API', async () => {
    const { STORCON_API: _unused, ...env } = process.env;
    const run = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bin/storcon.ts', 'nodes', '--json'],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { ...env, STORCON_API: api.stack.url, STORCON_TOKEN: admin },
      },
    );
    expect(JSON.parse(run.stdout)).toHaveLength(1);
  });
});
