// Answers that carry an unbounded list (an execution's event history) must still fit in what a
// Lambda may answer: the newest items are kept, the oldest left out and counted.

/** The newest items whose JSON fits in `budgetBytes` (UTF-8), in their order, and how many older ones were left out. */
export function newestWithin<T>(items: readonly T[], budgetBytes: number): { kept: T[]; omitted: number } {
  let used = 2; // the brackets
  let first = items.length;
  while (first > 0) {
    // The item, and a comma unless it is the only one.
    const size = Buffer.byteLength(JSON.stringify(items[first - 1])) + (first === items.length ? 0 : 1);
    if (used + size > budgetBytes) break;
    used += size;
    first -= 1;
  }
  return { kept: items.slice(first), omitted: first };
}
