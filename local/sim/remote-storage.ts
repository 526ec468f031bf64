// The simulated remote storage shared by a fleet of simulated pageservers. It records which
// generation each node was given and what each generation wrote or deleted, so that a test can
// ask whether generation fencing held.

export interface GenerationIssue {
  shard: string;
  generation: number;
  node: number;
  at: number;
}

export interface StorageWrite {
  shard: string;
  generation: number;
  node: number;
  what: string;
  at: number;
}

export interface ExecutedDeletion {
  shard: string;
  generation: number;
  node: number;
  at: number;
}

/** What a node currently holds, for the "two live AttachedSingle" check. */
export interface LiveHolder {
  node: number;
  shards: Array<{ shard: string; mode: string }>;
}

/** What remote storage holds for one timeline: enough for a new attachment to load it. */
export interface StoredTimeline {
  timeline_id: string;
  ancestor_timeline_id: string | null;
  ancestor_lsn: bigint | null;
  last_record_lsn: bigint;
  initdb_lsn: bigint;
  pg_version: number;
}

export class SimRemoteStorage {
  /** The latest uploaded state of each shard's timelines. */
  private readonly timelines = new Map<string, Map<string, StoredTimeline>>();
  readonly issued: GenerationIssue[] = [];
  readonly writes: StorageWrite[] = [];
  readonly deletions: ExecutedDeletion[] = [];
  /** Shards each live node holds in AttachedSingle, as last reported. */
  private readonly singles = new Map<number, Set<string>>();
  /** Every moment two live nodes held one shard in AttachedSingle, as it happened. */
  readonly overlaps: string[] = [];
  private clock = 0;

  /** A logical clock: ordering matters, wall time does not. */
  private tick(): number {
    this.clock += 1;
    return this.clock;
  }

  /** Uploads a shard's timelines (what an attached pageserver does as it ingests). */
  uploadTimelines(shard: string, timelines: Iterable<StoredTimeline>): void {
    this.timelines.set(shard, new Map([...timelines].map((t) => [t.timeline_id, { ...t }])));
  }

  /** What a newly attached location downloads. */
  downloadTimelines(shard: string): StoredTimeline[] {
    return [...(this.timelines.get(shard)?.values() ?? [])].map((t) => ({ ...t }));
  }

  recordIssued(shard: string, generation: number, node: number): void {
    const already = this.issued.some(
      (i) => i.shard === shard && i.generation === generation && i.node === node,
    );
    if (!already) this.issued.push({ shard, generation, node, at: this.tick() });
  }

  recordWrite(shard: string, generation: number, node: number, what: string): void {
    this.writes.push({ shard, generation, node, what, at: this.tick() });
  }

  /** A deletion the controller's validate call allowed. */
  recordDeletion(shard: string, generation: number, node: number): void {
    this.deletions.push({ shard, generation, node, at: this.tick() });
  }

  /**
   * A node reports the shards it now holds in AttachedSingle (none while stopped or before its
   * re-attach). Checked at every report, so a transient double attachment is caught too.
   */
  reportHolder(node: number, attachedSingle: Iterable<string>): void {
    const now = new Set(attachedSingle);
    const before = this.singles.get(node);
    this.singles.set(node, now);
    for (const shard of now) {
      if (before?.has(shard)) continue;
      const others = [...this.singles].filter(([n, held]) => n !== node && held.has(shard)).map(([n]) => n);
      if (others.length > 0)
        this.overlaps.push(
          `shard ${shard} became AttachedSingle on node ${node} while live on ${others.join(', ')}`,
        );
    }
  }

  /**
   * Human-readable safety violations: a generation given to two nodes; two live nodes attached
   * (AttachedSingle) to one shard at once, now or at any earlier report; a deletion executed in a generation older than one
   * already issued for that shard (validate should have refused it).
   */
  safetyViolations(live: LiveHolder[]): string[] {
    const problems: string[] = [];
    const byGeneration = new Map<string, Set<number>>();
    for (const issue of this.issued) {
      const key = `${issue.shard}@${issue.generation}`;
      const nodes = byGeneration.get(key) ?? new Set<number>();
      nodes.add(issue.node);
      byGeneration.set(key, nodes);
    }
    for (const [key, nodes] of byGeneration) {
      if (nodes.size > 1)
        problems.push(`generation ${key} was given to nodes ${[...nodes].sort().join(', ')}`);
    }
    const holders = new Map<string, number[]>();
    for (const holder of live) {
      for (const { shard, mode } of holder.shards) {
        if (mode !== 'AttachedSingle') continue;
        holders.set(shard, [...(holders.get(shard) ?? []), holder.node]);
      }
    }
    for (const [shard, nodes] of holders) {
      if (nodes.length > 1)
        problems.push(`shard ${shard} is AttachedSingle on live nodes ${nodes.join(', ')}`);
    }
    problems.push(...this.overlaps);
    for (const deletion of this.deletions) {
      const newer = this.issued.find(
        (i) => i.shard === deletion.shard && i.generation > deletion.generation && i.at < deletion.at,
      );
      if (newer) {
        problems.push(
          `shard ${deletion.shard}: node ${deletion.node} deleted in generation ${deletion.generation} after generation ${newer.generation} was issued`,
        );
      }
    }
    return problems;
  }
}
