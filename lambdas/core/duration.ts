// Durations as the reference writes them in JSON (Rust's humantime): "300s", "5m", "1m 30s",
// "250ms", "0s". Pure.

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
};

/** Milliseconds, or null when the text is not a duration. */
export function parseHumanDuration(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  let total = 0;
  let rest = trimmed;
  while (rest.length > 0) {
    const m = /^(\d+)\s*([a-z]+)\s*/.exec(rest);
    if (!m) return null;
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return Number.isSafeInteger(total) ? total : null;
}
