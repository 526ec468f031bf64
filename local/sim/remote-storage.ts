// The simulated remote storage shared by a fleet of simulated pageservers. It records which
// generation each node was given and what each generation wrote or deleted, and checks the
// generation rules at every call, so that a test learns when fencing broke and what broke it:
// - no generation given to two nodes;
// - no node told to run a shard in a generation lower than one it already ran;
// - no node attached (AttachedSingle/AttachedMulti) in a generation older than one already issued;
// - no deletion executed in a generation already superseded when it was validated or ran;
// - no two live nodes holding one shard AttachedSingle at once.

export interface GenerationIssue {
  shard: string;
  generation: number;
  node: number;
  /** Logical time of the call. */
  at: number;
  /** Wall-clock time of the call. */
  wall: number;
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

export type ViolationKind =
  | 'generation-reused'
  | 'generation-decrease'
  | 'stale-attach'
  | 'stale-deletion'
  | 'double-attached-single';

/** A broken rule, recorded when the call that broke it happened. */
export interface SafetyViolation {
  kind: ViolationKind;
  shard: string;
  node: number;
  message: string;
  at: number;
  wall: number;
}

/** The order safetyViolations() lists recorded kinds in (after the live check for the double kind). */
const KIND_ORDER: ViolationKind[] = [
  'generation-reused',
  'double-attached-single',
  'stale-deletion',
  'generation-decrease',
  'stale-attach',
];

export class SimRemoteStorage {
  /** The latest uploaded state of each shard's timelines. */
  private readonly timelines = new Map<string, Map<string, StoredTimeline>>();
  readonly issued: GenerationIssue[] = [];
  readonly writes: StorageWrite[] = [];
  readonly deletions: ExecutedDeletion[] = [];
  /** Every broken rule, in the order the calls happened. */
  readonly violations: SafetyViolation[] = [];
  /** `node/shard` pairs where the node refused or hung on a location_config since it was last told to attach the shard. */
  private readonly refused = new Set<string>();
  /** Shards each live node holds in AttachedSingle, as last reported. */
  private readonly singles = new Map<number, Set<string>>();
  /** Every moment two live nodes held one shard in AttachedSingle, as it happened. */
  readonly overlaps: string[] = [];
  /** Highest generation each node ran each shard in: `${node}/${shard}` → generation. */
  private readonly ranOnNode = new Map<string, number>();
  private clock = 0;
  /** Called with each violation as it is recorded (e.g. to log it with the step that caused it). */
  onViolation?: (violation: SafetyViolation) => void;

  /** A logical clock: ordering matters, wall time does not. */
  private tick(): number {
    this.clock += 1;
    return this.clock;
  }

  /** The logical time now (a deletion validated now is checked against issues before it). */
  now(): number {
    return this.clock;
  }

  private violate(kind: ViolationKind, shard: string, node: number, message: string, at: number): void {
    const violation = { kind, shard, node, message, at, wall: Date.now() };
    this.violations.push(violation);
    this.onViolation?.(violation);
  }

  /** Uploads a shard's timelines (what an attached pageserver does as it ingests). */
  uploadTimelines(shard: string, timelines: Iterable<StoredTimeline>): void {
    this.timelines.set(shard, new Map([...timelines].map((t) => [t.timeline_id, { ...t }])));
  }

  /** What a newly attached location downloads. */
  downloadTimelines(shard: string): StoredTimeline[] {
    return [...(this.timelines.get(shard)?.values() ?? [])].map((t) => ({ ...t }));
  }

  /** The highest generation issued for a shard so far (to any node), or null. */
  latestIssued(shard: string): GenerationIssue | null {
    let latest: GenerationIssue | null = null;
    for (const i of this.issued)
      if (i.shard === shard && (!latest || i.generation > latest.generation)) latest = i;
    return latest;
  }

  /**
   * A node was told to run a shard attached in a generation (location_config, re-attach, split).
   * `mode` is the attached mode; AttachedStale does not write, so it may lag other nodes.
   */
  recordIssued(shard: string, generation: number, node: number, mode = 'AttachedSingle'): void {
    const at = this.tick();
    const key = `${node}/${shard}`;
    const ran = this.ranOnNode.get(key);
    if (ran !== undefined && generation < ran) {
      this.violate(
        'generation-decrease',
        shard,
        node,
        `shard ${shard}: node ${node} was told generation ${generation} (${mode}) after it ran generation ${ran}`,
        at,
      );
    } else if (mode !== 'AttachedStale') {
      const newer = this.issued.find(
        (i) => i.shard === shard && i.generation > generation && i.node !== node,
      );
      if (newer)
        this.violate(
          'stale-attach',
          shard,
          node,
          `shard ${shard}: node ${node} was attached (${mode}) in generation ${generation} after generation ${newer.generation} was issued to node ${newer.node}`,
          at,
        );
    }
    this.ranOnNode.set(key, Math.max(ran ?? generation, generation));
    // Told to attach again since it last refused a call for the shard: that refusal is history.
    if (mode !== 'AttachedStale') this.refused.delete(key);
    const same = this.issued.filter((i) => i.shard === shard && i.generation === generation);
    if (same.some((i) => i.node === node)) return;
    this.issued.push({ shard, generation, node, at, wall: Date.now() });
    if (same.length > 0) {
      const nodes = [...new Set([...same.map((i) => i.node), node])].sort((a, b) => a - b);
      this.violate(
        'generation-reused',
        shard,
        node,
        `generation ${shard}@${generation} was given to nodes ${nodes.join(', ')}`,
        at,
      );
    }
  }

  recordWrite(shard: string, generation: number, node: number, what: string): void {
    this.writes.push({ shard, generation, node, what, at: this.tick() });
  }

  /**
   * A deletion executed in a generation: one the controller's validate call allowed (validated at
   * logical time `validatedAt`, default now), or a tenant/timeline deletion a node accepted at
   * `validatedAt` and ran until wall time `untilWall`. It breaks fencing if a newer generation of
   * the shard was issued before it was validated (accepted), or before it finished running.
   */
  recordDeletion(
    shard: string,
    generation: number,
    node: number,
    options: { validatedAt?: number; untilWall?: number; what?: string } = {},
  ): void {
    const at = this.tick();
    const validatedAt = options.validatedAt ?? at;
    this.deletions.push({ shard, generation, node, at });
    const newer = this.issued.find(
      (i) =>
        i.shard === shard &&
        i.generation > generation &&
        (i.at < validatedAt || (options.untilWall !== undefined && i.wall < options.untilWall)),
    );
    if (newer) {
      this.violate(
        'stale-deletion',
        shard,
        node,
        `shard ${shard}: node ${node} deleted${options.what ? ` (${options.what})` : ''} in generation ${generation} after generation ${newer.generation} was issued`,
        at,
      );
    }
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
      // A holder that refused (or hung on) a location_config for the shard since it was last
      // told to attach it could not be demoted: the controller may then attach elsewhere, and the
      // newer generation fences the old holder. That holds whichever of the two reports first: a
      // node still loading a re-attach answer (503 to every call) becomes a holder only after.
      if (this.refused.has(`${node}/${shard}`)) continue;
      const others = [...this.singles]
        .filter(([n, held]) => n !== node && held.has(shard) && !this.refused.has(`${n}/${shard}`))
        .map(([n]) => n);
      if (others.length > 0) {
        const message = `shard ${shard} became AttachedSingle on node ${node} while live on ${others.join(', ')}`;
        this.overlaps.push(message);
        this.violate('double-attached-single', shard, node, message, this.tick());
      }
    }
  }

  /** A node did not serve a location_config for the shard (injected failure, hang, restart). */
  recordRefused(node: number, shard: string): void {
    this.refused.add(`${node}/${shard}`);
  }

  /** Every violation recorded so far, as messages, in the order they happened. */
  recordedViolations(): string[] {
    return this.violations.map((v) => v.message);
  }

  /**
   * Human-readable safety violations: everything recorded at the calls (a generation given to two
   * nodes; two live nodes attached AttachedSingle at once at any report; a deletion executed in a
   * superseded generation; a generation decrease on a node; an attachment in a stale generation),
   * plus two live nodes holding one shard AttachedSingle now, according to `live`.
   */
  safetyViolations(live: LiveHolder[]): string[] {
    const holders = new Map<string, number[]>();
    for (const holder of live) {
      for (const { shard, mode } of holder.shards) {
        if (mode !== 'AttachedSingle') continue;
        holders.set(shard, [...(holders.get(shard) ?? []), holder.node]);
      }
    }
    const liveNow: string[] = [];
    for (const [shard, nodes] of holders) {
      if (nodes.length > 1)
        liveNow.push(`shard ${shard} is AttachedSingle on live nodes ${nodes.join(', ')}`);
    }
    const of = (kind: ViolationKind) => this.violations.filter((v) => v.kind === kind).map((v) => v.message);
    return KIND_ORDER.flatMap((kind) =>
      kind === 'double-attached-single' ? [...liveNow, ...of(kind)] : of(kind),
    );
  }
}
