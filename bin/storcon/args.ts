// Option values as the reference CLI spells them (lowercase: `active`, `pause_for_restart`,
// `attached:1`) turned into the API's JSON forms; a bad value is a usage error naming the choices.
import { InvalidArgumentError } from 'commander';

const NODE_SCHEDULING: Record<string, string> = {
  active: 'Active',
  filling: 'Filling',
  pause: 'Pause',
  pause_for_restart: 'PauseForRestart',
  draining: 'Draining',
  deleting: 'Deleting',
};

const SHARD_SCHEDULING: Record<string, string> = {
  active: 'Active',
  essential: 'Essential',
  pause: 'Pause',
  stop: 'Stop',
};

const AVAILABILITY: Record<string, string> = { active: 'Active', offline: 'Offline' };

function choice(table: Record<string, string>, what: string) {
  return (value: string): string => {
    const key = value.toLowerCase().replace(/-/g, '_');
    const found = table[key] ?? Object.values(table).find((v) => v.toLowerCase() === key.replace(/_/g, ''));
    if (!found)
      throw new InvalidArgumentError(`Unknown ${what} '${value}', try ${Object.keys(table).join(',')}`);
    return found;
  };
}

export const parseNodeScheduling = choice(NODE_SCHEDULING, 'scheduling policy');
export const parseShardScheduling = choice(SHARD_SCHEDULING, 'scheduling policy');
export const parseAvailability = choice(AVAILABILITY, 'availability state');

/** `detached`, `secondary` or `attached:N` → the PlacementPolicy JSON. */
export function parsePlacement(value: string): unknown {
  const v = value.toLowerCase();
  if (v === 'detached') return 'Detached';
  if (v === 'secondary') return 'Secondary';
  const attached = /^attached:(\d+)$/.exec(v);
  if (attached) return { Attached: Number(attached[1]) };
  if (v.startsWith('attached'))
    throw new InvalidArgumentError(`Invalid format '${value}', a valid example is 'attached:1'`);
  throw new InvalidArgumentError(`Unknown placement policy '${value}', try detached,secondary,attached:<n>`);
}

export function parseWholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number(value);
}

/** A duration as humantime writes it (`500ms`, `30s`, `5m`, `1h`, `1h30m`); a bare number is seconds. */
export function parseDuration(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = value.replace(/\s+/g, '');
  while (rest.length > 0) {
    const part = /^(\d+(?:\.\d+)?)(ms|min|s|m|h)/.exec(rest);
    if (!part) throw new InvalidArgumentError(`'${value}' is not a duration (e.g. 500ms, 30s, 5m, 1h)`);
    total += Number(part[1]) * units[part[2]!]!;
    rest = rest.slice(part[0].length);
  }
  return total;
}

/** A true/false option value (`--prewarm false`), as the reference's clap flags take them. */
export function parseBool(value: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new InvalidArgumentError(`'${value}' is not true or false`);
}

export function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function parseNodeList(value: string): number[] {
  return value.split(',').map((part) => parseWholeNumber(part.trim()));
}
