// TenantConfig (reference/wire-formats.md §3.1): the controller passes it to pageservers as is,
// but it still rejects unknown keys and obviously wrong types at the edge.
import * as z from 'zod';

const u64 = z.number().int().nonnegative().nullish();
const duration = z.string().min(1).max(64).nullish();
const kindObject = z.object({ kind: z.string() }).passthrough().nullish();

export const tenantConfigShape = {
  checkpoint_distance: u64,
  checkpoint_timeout: duration,
  compaction_target_size: u64,
  compaction_period: duration,
  compaction_threshold: z.number().int().nullish(),
  compaction_algorithm: kindObject,
  gc_horizon: u64,
  gc_period: duration,
  image_creation_threshold: z.number().int().nullish(),
  pitr_interval: duration,
  walreceiver_connect_timeout: duration,
  lagging_wal_timeout: duration,
  max_lsn_wal_lag: z.number().int().positive().nullish(),
  trace_read_requests: z.boolean().nullish(),
  eviction_policy: kindObject,
  min_resident_size_override: u64,
  evictions_low_residence_duration_metric_threshold: duration,
  heatmap_period: duration,
  lazy_slru_download: z.boolean().nullish(),
  timeline_get_throttle: z.record(z.string(), z.unknown()).nullish(),
};

export const TENANT_CONFIG_KEYS = Object.keys(tenantConfigShape);

/** Inside location_config's `tenant_conf` unknown keys are dropped, as the pageserver does. */
export const nestedTenantConfigSchema = z.object(tenantConfigShape).strip();

/** Only the keys that were given, so stored configs stay small and compare cleanly. */
export function pickTenantConfig(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of TENANT_CONFIG_KEYS) {
    if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
  }
  return out;
}

/** On output every key is present, null when unset (wire-formats §3.1). */
export function renderTenantConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(TENANT_CONFIG_KEYS.map((key) => [key, config[key] ?? null]));
}
