// The black-box suite's own machinery, run by `npm test` against a local stack: the preflight
// names what a target lacks, the CLI fails in one line against a wrong URL, and a workflow
// answered with 202 is followed to its end through /debug/v1/workflows.
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local';
import { DeployedApi } from '../deployed/support/api';
import { preflight } from '../deployed/support/preflight';
import { startTestApi, type TestApi } from '../support/api-stack';
import { makeKeyPair, mintToken } from '../support/jwt';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

describe('preflight', () => {
  it('passes a ready target with two schedulable pageservers', async () => {
    api = await startTestApi({ pageservers: 2 });
    await expect(preflight({ url: api.stack.url, token: undefined }, 0)).resolves.toBeUndefined();
  });

  it('refuses a target with fewer than two schedulable pageservers, saying so', async () => {
    api = await startTestApi({ pageservers: 2 });
    await api.call('PUT', '/control/v1/node/2/config', { body: { node_id: 2, scheduling: 'Draining' } });
    await expect(preflight({ url: api.stack.url, token: undefined }, 0)).rejects.toThrow(
      /needs at least 2 registered pageservers that are Active and schedulable .* has 1\. Registered: 1 \(Active, Active\), 2 \(Active, Draining\)/,
    );
  });

  it('asks for a token when the target has auth on, and names a token it refuses', async () => {
    const keys = makeKeyPair();
    const upcall = mintToken(keys.privateKey, { scope: 'generations_api' });
    api = await startTestApi({ pageservers: 2, publicKeyPem: keys.publicKeyPem, upcallJwtToken: upcall });
    const url = api.stack.url;
    await expect(preflight({ url, token: undefined }, 0)).rejects.toThrow(/authentication on: pass --token/);
    const other = mintToken(makeKeyPair().privateKey, { scope: 'admin' });
    await expect(preflight({ url, token: other }, 0)).rejects.toThrow(/refused the token \(403/);
    const admin = mintToken(keys.privateKey, { scope: 'admin' });
    await expect(preflight({ url, token: admin }, 0)).resolves.toBeUndefined();
  });
});

describe('npm run test:deployed', () => {
  it('fails in one line naming the URL when nothing answers there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      'bin/test-deployed.ts',
      '--url',
      url,
    ]);
    const failure = await run.then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(
      new RegExp(`^test:deployed: cannot reach the controller: GET ${url}/ready failed: ECONNREFUSED`),
    );
  });
});

describe('settle', () => {
  it('follows a 202 through the execution until it succeeds, and returns its output', async () => {
    // The local stack answers 200 within its 25 s; a deployed one may answer 202. This server
    // answers as the controller does then: RUNNING twice, then SUCCEEDED with the output.
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:shard-split:split-x';
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url ?? '');
      const status = asked.length < 3 ? 'RUNNING' : 'SUCCEEDED';
      const execution = {
        id: arn,
        name: 'split-x',
        workflow: 'shard-split',
        status,
        startedAt: '2026-01-01T00:00:00.000Z',
        stoppedAt: status === 'RUNNING' ? null : '2026-01-01T00:00:30.000Z',
        input: {},
        output: status === 'RUNNING' ? null : { new_shards: ['a'] },
        error: null,
        history: [],
        steps: [],
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(execution));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const client = new DeployedApi({ url: `http://127.0.0.1:${port}`, token: undefined });
      const accepted = { status: 202, body: { execution_id: arn }, text: '', headers: new Headers() };
      expect(await client.settle(accepted)).toEqual({ new_shards: ['a'] });
      expect(asked).toEqual(Array(3).fill(`/debug/v1/workflows/${encodeURIComponent(arn)}`));
    } finally {
      server.close();
    }
  });
});
