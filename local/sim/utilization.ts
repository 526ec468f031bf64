// What a simulated pageserver answers to GET /v1/utilization (wire-formats.md §3.7, with the
// newer shard counts): one megabyte of disk per location it holds.
export const SIM_MAX_SHARD_COUNT = 20_000;

export function simUtilization(locations: number) {
  const used = locations * 1_000_000;
  return {
    disk_usage_bytes: used,
    free_space_bytes: 1_000_000_000_000 - used,
    disk_wanted_bytes: used,
    shard_count: locations,
    max_shard_count: SIM_MAX_SHARD_COUNT,
    utilization_score: Math.round((locations / SIM_MAX_SHARD_COUNT) * 1_000_000),
    captured_at: new Date().toISOString(),
  };
}
