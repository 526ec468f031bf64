// Aligned text tables, as the reference CLI prints them (without the box drawing): a header row,
// a rule, then one row per item; every column as wide as its widest cell.

export type Cell = string | number | boolean | null | undefined;

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  return String(cell);
}

export function renderTable(header: readonly string[], rows: readonly Cell[][]): string {
  const texts = rows.map((row) => header.map((_, i) => cellText(row[i])));
  const widths = header.map((h, i) => Math.max(h.length, ...texts.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...texts.map(line)].join('\n');
}

/** Two columns, key and value: one record shown as a table. */
export function renderRecord(entries: ReadonlyArray<[string, Cell]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cellText(v)}`).join('\n');
}
