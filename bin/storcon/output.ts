// Where the CLI writes: results on stdout (a table for people, one JSON document with --json),
// progress and live lines on stderr, so that `storcon … --json | jq` sees only the result.
import { type Cell, renderRecord, renderTable } from './table';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal: live lines redraw in place; otherwise they print as plain lines. */
  tty: boolean;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  tty: Boolean(process.stderr.isTTY),
};

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** The result as a table, or `value` as JSON. */
  table(header: readonly string[], rows: readonly Cell[][], value: unknown): void {
    if (this.json) this.printJson(value);
    else this.io.stdout(`${renderTable(header, rows)}\n`);
  }

  record(entries: ReadonlyArray<[string, Cell]>, value: unknown): void {
    if (this.json) this.printJson(value);
    else this.io.stdout(`${renderRecord(entries)}\n`);
  }

  /** A line for people (skipped with --json, where `value` is printed instead when given). */
  say(text: string, value?: unknown): void {
    if (this.json) {
      if (value !== undefined) this.printJson(value);
    } else this.io.stdout(`${text}\n`);
  }

  /** Text for people only, never part of --json output (section titles). */
  text(text: string): void {
    if (!this.json) this.io.stdout(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note on stderr (warnings, what to do next). */
  note(text: string): void {
    this.io.stderr(`${text}\n`);
  }
}

/**
 * A line that shows the state of a long operation. On a terminal it is redrawn in place; on a
 * pipe or file each change is printed as its own line, at most one per `minIntervalMs`.
 */
export class LiveLine {
  private last = '';
  /** On a pipe: the last line printed, and when. */
  private lastLine = '';
  private lastPrinted = 0;

  constructor(
    private readonly io: Io,
    private readonly minIntervalMs = 2000,
  ) {}

  update(text: string): void {
    if (this.io.tty) {
      this.io.stderr(`\r\x1b[K${text}`);
    } else if (text !== this.last && Date.now() - this.lastPrinted >= this.minIntervalMs) {
      this.io.stderr(`${text}\n`);
      this.lastPrinted = Date.now();
      this.lastLine = text;
    }
    this.last = text;
  }

  /** Ends the line with its final text (on a pipe, unless that was the last line printed). */
  done(text: string): void {
    if (this.io.tty) this.io.stderr(`\r\x1b[K${text}\n`);
    else if (text !== this.lastLine) this.io.stderr(`${text}\n`);
    this.last = '';
    this.lastLine = '';
    this.lastPrinted = 0;
  }
}
