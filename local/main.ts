// `npm start`: the whole storage controller on this machine. Flags win over environment variables.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TABLE_NAME, type LocalStack, startLocalStack } from './stack';

function hostPort(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new InvalidArgumentError(`expected HOST:PORT, got '${value}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return Number(value);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  return n;
}

function url(value: string): string {
  try {
    return new URL(value).toString();
  } catch {
    throw new InvalidArgumentError(`expected a URL, got '${value}'`);
  }
}

const env = process.env;
// These machines run Node 20 (Lambda runs 22); the SDK's upgrade notice is noise here.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const program = new Command()
  .name('npm start --')
  .description('Run the storage controller locally: DynamoDB Local, the API, simulated pageservers.')
  .option('--listen <host:port>', 'address of the API', hostPort, hostPort(env.LISTEN ?? '127.0.0.1:1234'))
  .option(
    '--pageservers <n>',
    'simulated pageservers to start (0: none, real ones register themselves)',
    nonNegativeInt,
    nonNegativeInt(env.PAGESERVERS ?? '3'),
  )
  .option(
    '--compute-hook-url <url>',
    'where to PUT compute notifications (default: the built-in receiver)',
    url,
  )
  .option('--public-key <pem>', 'Ed25519 public key (PEM text) that turns on JWT auth [env PUBLIC_KEY]')
  .option('--jwt-token <token>', 'token sent to pageservers [env PAGESERVER_JWT_TOKEN]')
  .option('--control-plane-jwt-token <token>', 'token sent to the compute hook [env CONTROL_PLANE_JWT_TOKEN]')
  .option(
    '--upcall-jwt-token <token>',
    'token the simulated pageservers send on upcalls when auth is on [env UPCALL_JWT_TOKEN]',
  )
  .option('--data-dir <dir>', 'keep DynamoDB Local data in this folder so state survives restarts')
  .option(
    '--reconcile-interval <seconds>',
    'period of the background reconcile-all pass',
    positiveSeconds,
    positiveSeconds(env.RECONCILE_INTERVAL ?? '20'),
  )
  .option('--dynamodb-endpoint <url>', 'use this DynamoDB instead of starting DynamoDB Local', url)
  .option('--table-name <name>', 'DynamoDB table name', env.TABLE_NAME ?? DEFAULT_TABLE_NAME)
  .showHelpAfterError();

program.parse();
const opts = program.opts<{
  listen: { host: string; port: number };
  pageservers: number;
  computeHookUrl?: string;
  publicKey?: string;
  jwtToken?: string;
  controlPlaneJwtToken?: string;
  upcallJwtToken?: string;
  dataDir?: string;
  reconcileInterval: number;
  dynamodbEndpoint?: string;
  tableName: string;
}>();

const log = (message: string) => console.log(`[local] ${message}`);
let stack: LocalStack | undefined;
let stopping = false;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  // While still starting, the start sequence sees `stopping` and stops what it started.
  if (!stack) return;
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startLocalStack({
    host: opts.listen.host,
    port: opts.listen.port,
    pageservers: opts.pageservers,
    computeHookUrl: opts.computeHookUrl ?? env.COMPUTE_HOOK_URL,
    publicKeyPem: opts.publicKey ?? env.PUBLIC_KEY,
    pageserverJwtToken: opts.jwtToken ?? env.PAGESERVER_JWT_TOKEN,
    controlPlaneJwtToken: opts.controlPlaneJwtToken ?? env.CONTROL_PLANE_JWT_TOKEN,
    upcallJwtToken: opts.upcallJwtToken ?? env.UPCALL_JWT_TOKEN,
    dataDir: opts.dataDir ?? env.DATA_DIR,
    reconcileIntervalSeconds: opts.reconcileInterval,
    dynamodbEndpoint: opts.dynamodbEndpoint ?? env.DYNAMODB_ENDPOINT,
    tableName: opts.tableName,
    log,
  });
  if (stopping) {
    await stack.stop();
    process.exit(0);
  } else {
    for (const ps of stack.fleet.pageservers) log(`pageserver ${ps.nodeId} at ${ps.baseUrl}`);
    if (stack.computeHook)
      log(`compute hook receiver at ${stack.computeHookUrl} (GET /sim/v1/notifications)`);
    console.log(`storage controller ready at ${stack.url} (${stack.readyMs} ms)`);
  }
} catch (error) {
  console.error(`failed to start: ${(error as Error).message}`);
  process.exit(1);
}
