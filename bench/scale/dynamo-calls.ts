// Counts the commands a document client sends, by command, with the conflicts DynamoDB raised:
// a middleware at the top of the client's stack sees each command once (the SDK's own retries
// happen below it) and every error it ends with. A conflict-faithful layer wrapping the client's
// send (issue 14's, local/dynamo-conflicts.ts) rejects commands before the middleware sees them:
// its own conflict counts, read from the stack, are added as calls and as conflicts.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CallCounts {
  total: number;
  byCommand: Record<string, number>;
  /** TransactionCanceledException with a TransactionConflict reason, or TransactionConflictException. */
  conflicts: number;
  /** Failed write conditions (a version moved on: optimistic concurrency at work). */
  conditionFailures: number;
  otherErrors: number;
}

const emptyCounts = (): CallCounts => ({
  total: 0,
  byCommand: {},
  conflicts: 0,
  conditionFailures: 0,
  otherErrors: 0,
});

type SdkError = Error & { CancellationReasons?: Array<{ Code?: string }> };

function classify(error: unknown): 'conflict' | 'condition' | 'other' {
  const e = error as SdkError;
  if (e?.name === 'TransactionConflictException') return 'conflict';
  if (e?.name === 'TransactionCanceledException') {
    const codes = (e.CancellationReasons ?? []).map((r) => r.Code);
    if (codes.includes('TransactionConflict')) return 'conflict';
    if (codes.includes('ConditionalCheckFailed')) return 'condition';
  }
  if (e?.name === 'ConditionalCheckFailedException') return 'condition';
  return 'other';
}

type ConflictSource = () => number;

export class DynamoCallCounter {
  private counts = emptyCounts();
  private readonly sources: ConflictSource[] = [];

  /** Whether a stack with a conflict-faithful layer was watched. */
  get faithfulLayerSeen(): boolean {
    return this.sources.length > 0;
  }

  /** Reads a stack's conflict-faithful layer counts (`dynamoTraffic.conflicts`), if it has one. */
  watchStack(stack: object): void {
    const traffic = (stack as { dynamoTraffic?: { conflicts?: Record<string, number> } }).dynamoTraffic;
    const conflicts = traffic?.conflicts;
    if (conflicts) this.sources.push(() => Object.values(conflicts).reduce((a, b) => a + b, 0));
  }

  /** Adds the counting middleware to a client (each stack's client, restarts included). */
  attach(doc: DynamoDBDocumentClient): void {
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        this.counts.total += 1;
        this.counts.byCommand[name] = (this.counts.byCommand[name] ?? 0) + 1;
        try {
          return await next(args);
        } catch (error) {
          const kind = classify(error);
          if (kind === 'conflict') this.counts.conflicts += 1;
          else if (kind === 'condition') this.counts.conditionFailures += 1;
          else this.counts.otherErrors += 1;
          throw error;
        }
      },
      { step: 'initialize', priority: 'high', name: 'benchCallCounter', override: true },
    );
  }

  snapshot(): CallCounts {
    const rejected = this.sources.reduce((sum, source) => sum + source(), 0);
    return {
      ...this.counts,
      total: this.counts.total + rejected,
      conflicts: this.counts.conflicts + rejected,
      byCommand: { ...this.counts.byCommand },
    };
  }

  /** What happened between two snapshots. */
  static since(before: CallCounts, after: CallCounts): CallCounts {
    const byCommand: Record<string, number> = {};
    for (const [name, n] of Object.entries(after.byCommand)) {
      const d = n - (before.byCommand[name] ?? 0);
      if (d > 0) byCommand[name] = d;
    }
    return {
      total: after.total - before.total,
      byCommand,
      conflicts: after.conflicts - before.conflicts,
      conditionFailures: after.conditionFailures - before.conditionFailures,
      otherErrors: after.otherErrors - before.otherErrors,
    };
  }
}

/** "Query 4, TransactWriteItems 2": the commands of one sample, largest first. */
export function describeCommands(counts: CallCounts, per = 1): string {
  return Object.entries(counts.byCommand)
    .sort(([, a], [, b]) => b - a)
    .map(([name, n]) => `${name} ${round(n / per)}`)
    .join(', ');
}

export function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
