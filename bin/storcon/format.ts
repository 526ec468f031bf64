// How values read in a table: durations, placement policies, node addresses, progress bars.

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `{"Attached":1}` → `Attached(1)`, as the reference prints its PlacementPolicy. */
export function formatPlacement(policy: unknown): string {
  if (typeof policy === 'string') return policy;
  if (policy && typeof policy === 'object') {
    const [key, value] = Object.entries(policy)[0] ?? [];
    if (key !== undefined) return `${key}(${String(value)})`;
  }
  return JSON.stringify(policy);
}

/** `[#########---------] 9/18`. */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
}

/** Time since an ISO timestamp until another (or now). */
export function elapsedMs(startedAt: string, stoppedAt: string | null, now = Date.now()): number | null {
  const start = Date.parse(startedAt);
  if (!Number.isFinite(start)) return null;
  const end = stoppedAt ? Date.parse(stoppedAt) : now;
  return Math.max(0, end - start);
}

/** A workflow error's cause as people read it: a Lambda error's message, without its stack trace. */
export function cleanCause(cause: string): string {
  let text = cause;
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // plain text
  }
  const trace = text.search(/\n\s+at /);
  return trace < 0 ? text : text.slice(0, trace);
}

export function formatError(error: { error: string; cause: string } | null | undefined): string {
  return error ? `${error.error}: ${cleanCause(error.cause)}` : '';
}
