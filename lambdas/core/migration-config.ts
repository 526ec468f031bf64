// The modern migrate request's options (later-features.md E1, C10), resolved to what the migrate
// workflow runs with, and the bounds that keep it inside Step Functions' limits. Pure.

/** The reference's defaults: 300 s to warm the secondary, each download request 20 s. */
export const DEFAULT_WARMUP_MS = 300_000;
export const DEFAULT_DOWNLOAD_REQUEST_MS = 20_000;
/**
 * The migrate workflow runs at most 1200 s (its TimeoutSeconds): warm-up, then catch-up (up to
 * CATCH_UP_MS), then the cut-over must fit, so warm-up may take at most 600 s.
 */
export const MAX_WARMUP_MS = 600_000;
/**
 * Each download request runs inside one CheckWarm task and is cut to its code budget (15 s): a
 * longer request timeout only means the next poll asks again, the download going on meanwhile.
 */
export const MAX_DOWNLOAD_REQUEST_MS = MAX_WARMUP_MS;
/** How long the destination may take to catch up once attached, before the migration aborts. */
export const CATCH_UP_MS = 5 * 60_000;
/** The waits between polls in the migrate ASL (WaitForWarm, WaitForCatchUp), in seconds. */
export const WARM_POLL_SECONDS = 2;
export const CATCH_UP_POLL_SECONDS = 1;
/** History events one polling round adds: a Task (5), a Choice (2) and a Wait (2). */
const EVENTS_PER_POLL = 9;

export interface MigrationOptions {
  prewarm: boolean;
  overrideScheduler: boolean;
  warmupMs: number;
  downloadRequestMs: number;
}

export interface MigrationConfigInput {
  prewarm?: boolean | null;
  override_scheduler?: boolean | null;
  /** Milliseconds (parsed from the reference's duration text). */
  secondary_warmup_timeout?: number | null;
  secondary_download_request_timeout?: number | null;
}

/**
 * Without `migration_config` a migration cuts over at once, as the original's body asks; with one,
 * `prewarm` defaults to true, as the reference's MigrationConfig does.
 */
export function resolveMigrationOptions(
  config: MigrationConfigInput | null | undefined,
): MigrationOptions | { problem: string } {
  const warmupMs = config?.secondary_warmup_timeout ?? DEFAULT_WARMUP_MS;
  const downloadRequestMs = config?.secondary_download_request_timeout ?? DEFAULT_DOWNLOAD_REQUEST_MS;
  if (warmupMs > MAX_WARMUP_MS)
    return {
      problem: `migration_config.secondary_warmup_timeout: at most ${MAX_WARMUP_MS / 1000}s (the migration's time limit)`,
    };
  if (downloadRequestMs > MAX_DOWNLOAD_REQUEST_MS)
    return {
      problem: `migration_config.secondary_download_request_timeout: at most ${MAX_DOWNLOAD_REQUEST_MS / 1000}s`,
    };
  return {
    prewarm: config ? (config.prewarm ?? true) : false,
    overrideScheduler: config?.override_scheduler ?? false,
    warmupMs,
    downloadRequestMs,
  };
}

/**
 * The most history events the migrate workflow's two polling loops can add (each poll lasts at
 * least its wait): far below Step Functions' 25,000 (aws-limits.ts), checked by a test.
 */
export function worstCasePollEvents(): number {
  const warmPolls = Math.ceil(MAX_WARMUP_MS / 1000 / WARM_POLL_SECONDS) + 1;
  const catchUpPolls = Math.ceil(CATCH_UP_MS / 1000 / CATCH_UP_POLL_SECONDS) + 1;
  return (warmPolls + catchUpPolls) * EVENTS_PER_POLL;
}

/** Why a migration that expected the shard on `expected` may not go ahead (null: it may). */
export function originMismatch(shard: string, expected: number | null | undefined, actual: number | null) {
  if (expected === null || expected === undefined || expected === actual) return null;
  return `Migration expected to originate from node ${expected}, but shard ${shard} is attached to ${
    actual === null ? 'no node' : `node ${actual}`
  }`;
}
