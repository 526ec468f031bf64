// Deployment stages and their settings: one typed, validated file per stage, config/<stage>.json,
// chosen with `-c stage=<name>`. Every deploy setting lives there, so a deploy without flags
// deploys what the file says (a compute hook given once is not lost by the next deploy).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as z from 'zod';
import { DEFAULT_MAX_SECONDARY_LAG_BYTES } from '../lambdas/core/drain-fill-plan';

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const CONFIG_DIR = join(import.meta.dirname, '..', 'config');

export const stageConfigSchema = z
  .object({
    /** Free text for whoever edits the file. */
    $comment: z.string().optional(),
    /**
     * Where compute notifications go (not secret). Required: null is the explicit choice to run
     * without compute notifications, and synth warns about it outside dev.
     */
    computeHookUrl: z.url({ protocol: /^https?$/ }).nullable(),
    /** Period of the reconcile-all schedule (EventBridge's minimum is one minute). */
    reconcileMinutes: z.number().int().min(1).max(60),
    /**
     * Heartbeats, in seconds (--heartbeat-interval, --max-offline-interval,
     * --max-warming-up-interval): a Wait state's whole seconds, beating within each minute.
     */
    heartbeat: z
      .object({
        intervalSeconds: z.number().int().min(1).max(30),
        maxOfflineSeconds: z.number().int().min(1).max(3600),
        maxWarmingUpSeconds: z.number().int().min(1).max(3600),
      })
      .strict(),
    /**
     * A drain leaves a shard attached where it is when its secondary lags more than this many
     * bytes (--max-secondary-lag-bytes); absent: 256 MiB, the reference's default.
     */
    maxSecondaryLagBytes: z.number().int().min(0).optional(),
    /** Keep the table and log groups when the stack is deleted, with deletion protection on. */
    retainData: z.boolean(),
    /** Who the alarms notify, through the stage's SNS topic. */
    alarms: z
      .object({
        emails: z.array(z.email()),
        httpsUrls: z.array(z.url({ protocol: /^https$/ })),
      })
      .strict(),
  })
  .strict();
export type StageConfig = z.infer<typeof stageConfigSchema>;

export interface StageSettings {
  stage: Stage;
  /** Data outlives the stack where retainData is set. */
  removalPolicy: RemovalPolicy;
  deletionProtection: boolean;
  reconcileMinutes: number;
  heartbeat: StageConfig['heartbeat'];
  maxSecondaryLagBytes: number;
  /** null: compute notifications are off (an explicit choice in the stage's file). */
  computeHookUrl: string | null;
  alarms: StageConfig['alarms'];
}

/** Reads and validates config/<stage>.json; an error names the file and each bad field. */
export function readStageConfig(stage: Stage, dir = CONFIG_DIR): StageConfig {
  const file = join(dir, `${stage}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const parsed = stageConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new Error(`invalid ${file}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function stageSettings(stage: string | undefined, dir = CONFIG_DIR): StageSettings {
  const name = (stage ?? 'dev') as Stage;
  if (!STAGES.includes(name)) throw new Error(`unknown stage '${stage}': use one of ${STAGES.join(', ')}`);
  const config = readStageConfig(name, dir);
  return {
    stage: name,
    removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    deletionProtection: config.retainData,
    reconcileMinutes: config.reconcileMinutes,
    heartbeat: config.heartbeat,
    maxSecondaryLagBytes: config.maxSecondaryLagBytes ?? DEFAULT_MAX_SECONDARY_LAG_BYTES,
    computeHookUrl: config.computeHookUrl,
    alarms: config.alarms,
  };
}

/** What synth should warn about in these settings, each with an id to acknowledge it by. */
export function stageWarnings(settings: StageSettings): Array<{ id: string; message: string }> {
  if (settings.stage === 'dev') return [];
  const file = `config/${settings.stage}.json`;
  const warnings: Array<{ id: string; message: string }> = [];
  if (settings.computeHookUrl === null)
    warnings.push({
      id: 'storage-controller:no-compute-hook',
      message: `compute notifications are off for stage ${settings.stage}: computeHookUrl is null in ${file}`,
    });
  if (settings.alarms.emails.length + settings.alarms.httpsUrls.length === 0)
    warnings.push({
      id: 'storage-controller:no-alarm-subscribers',
      message: `alarms of stage ${settings.stage} notify nobody: ${file} lists no subscribers`,
    });
  return warnings;
}

/** Settings that used to be `-c` flags; they now live in the stage's file, so a flag is refused. */
export const RETIRED_CONTEXT_KEYS = ['computeHookUrl', 'reconcileMinutes'] as const;
