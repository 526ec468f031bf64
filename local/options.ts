// `npm start` options: each flag wins over its environment variable, which wins over the default.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DYNAMO_CONFLICT_MODES, type DynamoConflictMode } from './dynamo-conflicts';
import { DEFAULT_TABLE_NAME, type LocalStackOptions } from './stack';

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

function conflictMode(value: string): DynamoConflictMode {
  if (!(DYNAMO_CONFLICT_MODES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${DYNAMO_CONFLICT_MODES.join(', ')}, got '${value}'`);
  return value as DynamoConflictMode;
}

function url(value: string): string {
  try {
    return new URL(value).toString();
  } catch {
    throw new InvalidArgumentError(`expected a URL, got '${value}'`);
  }
}

export type LocalOptions = Omit<LocalStackOptions, 'log'>;

/** Parses `argv` (without node and script) against `env`; throws CommanderError on bad input. */
export function resolveLocalOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  exitOverride = false,
): LocalOptions {
  const program = new Command()
    .name('npm start --')
    .description('Run the storage controller locally: DynamoDB Local, the API, simulated pageservers.')
    .option(
      '--listen <host:port>',
      'address of the API [env LISTEN]',
      hostPort,
      hostPort(env.LISTEN ?? '127.0.0.1:1234'),
    )
    .option(
      '--pageservers <n>',
      'simulated pageservers to start (0: none, real ones register themselves) [env PAGESERVERS]',
      nonNegativeInt,
      nonNegativeInt(env.PAGESERVERS ?? '3'),
    )
    .option(
      '--compute-hook-url <url>',
      'where to PUT compute notifications (default: the built-in receiver) [env COMPUTE_HOOK_URL]',
      url,
    )
    .option('--public-key <pem>', 'Ed25519 public key (PEM text) that turns on JWT auth [env PUBLIC_KEY]')
    .option('--jwt-token <token>', 'token sent to pageservers [env PAGESERVER_JWT_TOKEN]')
    .option(
      '--control-plane-jwt-token <token>',
      'token sent to the compute hook [env CONTROL_PLANE_JWT_TOKEN]',
    )
    .option(
      '--upcall-jwt-token <token>',
      'token the simulated pageservers send on upcalls when auth is on [env UPCALL_JWT_TOKEN]',
    )
    .option(
      '--data-dir <dir>',
      'keep DynamoDB Local data in this folder so state survives restarts [env DATA_DIR]',
    )
    .option(
      '--reconcile-interval <seconds>',
      'period of the background reconcile-all pass [env RECONCILE_INTERVAL]',
      positiveSeconds,
      positiveSeconds(env.RECONCILE_INTERVAL ?? '20'),
    )
    .option(
      '--dynamodb-endpoint <url>',
      'use this DynamoDB instead of starting DynamoDB Local [env DYNAMODB_ENDPOINT]',
      url,
    )
    .option(
      '--table-name <name>',
      'DynamoDB table name [env TABLE_NAME]',
      env.TABLE_NAME ?? DEFAULT_TABLE_NAME,
    )
    .option(
      '--dynamo-conflicts <mode>',
      'faithful: raise DynamoDB transaction conflicts as AWS does (DynamoDB Local never does); off [env DYNAMO_CONFLICTS]',
      conflictMode,
      conflictMode(env.DYNAMO_CONFLICTS ?? 'faithful'),
    )
    .option(
      '--max-secondary-lag-bytes <bytes>',
      'a drain leaves a shard whose secondary lags more than this [env MAX_SECONDARY_LAG_BYTES]',
      nonNegativeInt,
      nonNegativeInt(env.MAX_SECONDARY_LAG_BYTES ?? String(256 * 1024 * 1024)),
    )
    .showHelpAfterError();
  if (exitOverride)
    program.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program.parse(argv, { from: 'user' });
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
    dynamoConflicts: DynamoConflictMode;
    maxSecondaryLagBytes: number;
  }>();
  const envUrl = (name: string) => (env[name] ? url(env[name]!) : undefined);
  return {
    host: opts.listen.host,
    port: opts.listen.port,
    pageservers: opts.pageservers,
    computeHookUrl: opts.computeHookUrl ?? envUrl('COMPUTE_HOOK_URL'),
    publicKeyPem: opts.publicKey ?? (env.PUBLIC_KEY || undefined),
    pageserverJwtToken: opts.jwtToken ?? (env.PAGESERVER_JWT_TOKEN || undefined),
    controlPlaneJwtToken: opts.controlPlaneJwtToken ?? (env.CONTROL_PLANE_JWT_TOKEN || undefined),
    upcallJwtToken: opts.upcallJwtToken ?? (env.UPCALL_JWT_TOKEN || undefined),
    dataDir: opts.dataDir ?? (env.DATA_DIR || undefined),
    reconcileIntervalSeconds: opts.reconcileInterval,
    dynamodbEndpoint: opts.dynamodbEndpoint ?? envUrl('DYNAMODB_ENDPOINT'),
    tableName: opts.tableName,
    dynamoConflicts: opts.dynamoConflicts,
    maxSecondaryLagBytes: opts.maxSecondaryLagBytes,
  };
}

export { CommanderError };
