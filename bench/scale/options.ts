// `npm run bench:scale -- [flags]`: the fleet size, how it is made, and how long to wait for things.
import { Command, InvalidArgumentError } from 'commander';

/** Tenants of one kind: how many, and how many shards each (1 means unsharded, count literal 0). */
export interface MixEntry {
  tenants: number;
  shardsEach: number;
}

export interface ScaleOptions {
  mix: MixEntry[];
  shards: number;
  tenants: number;
  concurrency: number;
  secondaries: number;
  /** Bulk-seed the table and the simulators' disks instead of creating through the API. */
  seed: boolean;
  skipCreate: boolean;
  dataDir?: string;
  dynamodbEndpoint?: string;
  tableName: string;
  pageservers: number;
  reconcileIntervalSeconds: number;
  readyTimeoutSeconds: number;
  announceWaitSeconds: number;
  hookDelayMs: number;
  passes: number;
  /** The stack's DynamoDB conflict mode (issue 14's conflict-faithful layer; benches use faithful). */
  conflicts: 'faithful' | 'off';
  verbose: boolean;
}

/** Shards above which the fleet is seeded in bulk unless --api says otherwise. */
const SEED_ABOVE_SHARDS = 20_000;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`expected a positive whole number, got '${value}'`);
  return Number(value);
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
  return Number(value);
}

/** "7800x1,200x8": 7 800 unsharded tenants and 200 of 8 shards. */
export function parseMix(value: string): MixEntry[] {
  const entries = value.split(',').map((part) => {
    const m = /^\s*(\d+)x(\d+)\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected TENANTSxSHARDS[,...] like 7800x1,200x8, got '${part}'`);
    const shardsEach = Number(m[2]);
    if (shardsEach < 1 || shardsEach > 255) throw new InvalidArgumentError(`shards per tenant: 1..255`);
    return { tenants: Number(m[1]), shardsEach };
  });
  return entries.filter((e) => e.tenants > 0);
}

/**
 * The reference's test (test_storage_controller_scale.py) creates 7 800 single-shard and 200
 * eight-shard tenants: 8 000 tenants, 9 400 shards (its total_shards = 7800 + 200 × 8; the
 * "9 600" of later-features.md §3.1 is a slip). That is one 8-shard tenant per 47 shards: `shards`
 * shards in that ratio, exactly the reference's fleet at 9 400.
 */
export const REFERENCE_SHARDS = 9400;

export function referenceMix(shards: number): MixEntry[] {
  const big = Math.round(shards / 47);
  return [
    { tenants: shards - big * 8, shardsEach: 1 },
    { tenants: big, shardsEach: 8 },
  ].filter((e) => e.tenants > 0);
}

export function parseScaleOptions(argv: string[]): ScaleOptions {
  const program = new Command()
    .name('npm run bench:scale --')
    .description(
      "The reference controller's scale gate on the local stack: create a fleet on simulated pageservers, then measure.",
    )
    .option(
      '--shards <n>',
      "fleet size in shards, in the reference's mix (one 8-shard tenant per 47 shards; 9400 is its test's fleet)",
      positiveInt,
      REFERENCE_SHARDS,
    )
    .option('--tenants-mix <mix>', 'tenants of each size instead, e.g. 7800x1,200x8 (TENANTSxSHARDS,...)')
    .option('--concurrency <n>', 'creates (or seed writes) in flight', positiveInt, 32)
    .option(
      '--secondaries <n>',
      'secondaries per shard (the reference uses Attached(1); default 0)',
      nonNegativeInt,
      0,
    )
    .option('--seed', `seed the table and the simulators in bulk (default above ${SEED_ABOVE_SHARDS} shards)`)
    .option('--api', 'create through the API even above that size')
    .option(
      '--skip-create',
      'use the fleet already in --table (from a run with --data-dir or --dynamodb-endpoint)',
    )
    .option('--data-dir <dir>', 'keep DynamoDB Local data in this folder (for --skip-create later)')
    .option('--dynamodb-endpoint <url>', 'use this DynamoDB instead of starting DynamoDB Local')
    .option('--table <name>', 'table name (default bench-scale-<shards>)')
    .option('--pageservers <n>', 'simulated pageservers', positiveInt, 6)
    .option('--reconcile-interval <s>', 'background reconcile-all period, as npm start', positiveInt, 20)
    .option(
      '--ready-timeout <s>',
      'how long to wait for /ready after a restart before calling it failed',
      positiveInt,
      180,
    )
    .option(
      '--announce-wait <s>',
      'how long after ready to wait for every tenant to be announced',
      positiveInt,
      60,
    )
    .option(
      '--hook-delay-ms <ms>',
      "compute hook answer delay (the reference's test hook sleeps 10 ms)",
      nonNegativeInt,
      10,
    )
    .option('--passes <n>', 'idle reconcile-all passes to time', positiveInt, 3)
    .option(
      '--conflicts <mode>',
      "faithful: the stack raises DynamoDB's transaction conflicts as AWS does (DynamoDB Local never does); off",
      (value: string) => {
        if (value !== 'faithful' && value !== 'off')
          throw new InvalidArgumentError(`expected faithful or off, got '${value}'`);
        return value;
      },
      'faithful',
    )
    .option('--verbose', "print the stack's log lines")
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    shards: number;
    tenantsMix?: string;
    concurrency: number;
    secondaries: number;
    seed?: boolean;
    api?: boolean;
    skipCreate?: boolean;
    dataDir?: string;
    dynamodbEndpoint?: string;
    table?: string;
    pageservers: number;
    reconcileInterval: number;
    readyTimeout: number;
    announceWait: number;
    hookDelayMs: number;
    passes: number;
    conflicts: 'faithful' | 'off';
    verbose?: boolean;
  }>();
  const mix = o.tenantsMix ? parseMix(o.tenantsMix) : referenceMix(o.shards);
  const shards = mix.reduce((sum, e) => sum + e.tenants * e.shardsEach, 0);
  return {
    mix,
    shards,
    tenants: mix.reduce((sum, e) => sum + e.tenants, 0),
    concurrency: o.concurrency,
    secondaries: o.secondaries,
    seed: o.api ? false : (o.seed ?? shards > SEED_ABOVE_SHARDS),
    skipCreate: o.skipCreate ?? false,
    dataDir: o.dataDir,
    dynamodbEndpoint: o.dynamodbEndpoint,
    tableName: o.table ?? `bench-scale-${shards}`,
    pageservers: o.pageservers,
    reconcileIntervalSeconds: o.reconcileInterval,
    readyTimeoutSeconds: o.readyTimeout,
    announceWaitSeconds: o.announceWait,
    hookDelayMs: o.hookDelayMs,
    passes: o.passes,
    conflicts: o.conflicts,
    verbose: o.verbose ?? false,
  };
}
