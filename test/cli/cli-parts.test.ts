// storcon's pure parts: option values as the reference spells them, tables, durations, and the
// live line's behaviour on a pipe (one line per change, the final line not repeated).
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  parseDuration,
  parseNodeScheduling,
  parsePlacement,
  parseShardScheduling,
} from '../../bin/storcon/args';
import { cleanCause, formatDuration, formatPlacement, progressBar } from '../../bin/storcon/format';
import { LiveLine } from '../../bin/storcon/output';
import { renderTable } from '../../bin/storcon/table';

describe('option values', () => {
  it('reads policies as the reference CLI writes them', () => {
    expect(parseNodeScheduling('pause_for_restart')).toBe('PauseForRestart');
    expect(parseNodeScheduling('Active')).toBe('Active');
    expect(parseShardScheduling('essential')).toBe('Essential');
    expect(parsePlacement('attached:2')).toEqual({ Attached: 2 });
    expect(parsePlacement('secondary')).toBe('Secondary');
    expect(() => parsePlacement('attached:x')).toThrow(InvalidArgumentError);
    expect(() => parseShardScheduling('draining')).toThrow(/try active,essential,pause,stop/);
  });

  it('reads durations as humantime writes them; a bare number is seconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('soon')).toThrow(InvalidArgumentError);
  });
});

describe('formatting', () => {
  it('aligns every column to its widest cell and shows empty cells as -', () => {
    expect(
      renderTable(
        ['Id', 'Name'],
        [
          [1, 'long name'],
          [22, null],
        ],
      ),
    ).toBe(['Id  Name', '--  ---------', '1   long name', '22  -'].join('\n'));
  });

  it('formats durations, placements, progress and Lambda error causes', () => {
    expect([
      formatDuration(850),
      formatDuration(3200),
      formatDuration(125_000),
      formatDuration(null),
    ]).toEqual(['850ms', '3.2s', '2m05s', '-']);
    expect(formatPlacement({ Attached: 1 })).toBe('Attached(1)');
    expect(progressBar(5, 10, 10)).toBe('[#####-----] 5/10');
    expect(progressBar(0, 0, 4)).toBe('[####] 0/0');
    const cause = JSON.stringify({ errorType: 'X', errorMessage: 'boom', trace: ['X: boom', '  at f'] });
    expect(cleanCause(cause)).toBe('boom');
    expect(cleanCause('plain\n    at f (x.ts:1)')).toBe('plain');
  });
});

describe('LiveLine on a pipe', () => {
  it('prints a line per change at most every interval, and the final line once', () => {
    const written: string[] = [];
    const line = new LiveLine({ stdout: () => undefined, stderr: (t) => written.push(t), tty: false }, 0);
    line.update('a');
    line.update('a');
    line.update('b');
    line.done('b');
    line.update('c');
    line.done('d');
    expect(written).toEqual(['a\n', 'b\n', 'c\n', 'd\n']);
  });

  it('redraws in place on a terminal', () => {
    const written: string[] = [];
    const line = new LiveLine({ stdout: () => undefined, stderr: (t) => written.push(t), tty: true });
    line.update('1/2');
    line.done('2/2');
    expect(written).toEqual(['\r\x1b[K1/2', '\r\x1b[K2/2\n']);
  });
});
