// `npm start` as a user runs it: a real process that starts DynamoDB Local and the API, prints
// ready, and leaves nothing behind on SIGINT, SIGTERM or a failed start.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local';

function dynamoJavaPids(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('DynamoDBLocal.jar'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

function startMain(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PUBLIC_KEY: '', PAGESERVER_JWT_TOKEN: '' },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints ready, serves the API, and stops everything on ${signal}`, async () => {
      const before = dynamoJavaPids();
      const port = await freePort();
      const main = startMain(['--listen', `127.0.0.1:${port}`, '--pageservers', '0']);
      const m = await waitForOutput(main.output, /storage controller ready at (http:\/\/\S+)/, 60_000);
      expect(m[1]).toBe(`http://127.0.0.1:${port}`);
      const ready = await fetch(`${m[1]}/ready`);
      expect(ready.status).toBe(200);
      const ours = dynamoJavaPids().filter((pid) => !before.includes(pid));
      expect(ours).toHaveLength(1);

      main.child.kill(signal);
      expect(await main.exited).toBe(0);
      expect(dynamoJavaPids().filter((pid) => ours.includes(pid))).toEqual([]);
      await expect(fetch(`${m[1]}/status`)).rejects.toThrow();
    });
  }

  it('stops DynamoDB Local again when a later step fails (address in use)', async () => {
    const before = dynamoJavaPids();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const main = startMain(['--listen', `127.0.0.1:${port}`, '--pageservers', '0']);
      expect(await main.exited).toBe(1);
      expect(main.output()).toMatch(/failed to start: .*EADDRINUSE/);
      expect(dynamoJavaPids().filter((pid) => !before.includes(pid))).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('rejects a bad option with a message naming it', async () => {
    const main = startMain(['--listen', 'nonsense']);
    expect(await main.exited).not.toBe(0);
    expect(main.output()).toMatch(/--listen.*expected HOST:PORT/);
  });
});
