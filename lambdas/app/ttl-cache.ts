// A value loaded on first use and reloaded once it is older than its time to live: callers at the
// same moment share one load, and a failed reload keeps serving the last good value (and tries
// again on the next call) rather than failing every request while a dependency hiccups.

export interface TtlCacheOptions {
  ttlMs: number;
  now?: () => number;
  /** Told when a reload failed and the previous value is served instead. */
  onStale?: (error: unknown) => void;
}

export function ttlCache<T>(load: () => Promise<T>, options: TtlCacheOptions): () => Promise<T> {
  const now = options.now ?? Date.now;
  let current: { value: T; loadedAt: number } | undefined;
  let pending: Promise<T> | undefined;
  return () => {
    if (current && now() - current.loadedAt < options.ttlMs) return Promise.resolve(current.value);
    pending ??= load()
      .then(
        (value) => {
          current = { value, loadedAt: now() };
          return value;
        },
        (error: unknown) => {
          if (!current) throw error;
          options.onStale?.(error);
          return current.value;
        },
      )
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
