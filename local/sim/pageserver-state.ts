// What a simulated pageserver holds: its "disk" (locations and their timelines, surviving
// restarts) and the operations on it that touch remote storage: the re-attach contract, upload
// and download, ingest, and deletions that complete (checked against newer generations).
import type { LocationConfig } from '../../lambdas/core/model/location-config';
import { HttpError } from './http-util';
import type { SimRemoteStorage, StoredTimeline } from './remote-storage';

export const INITDB_LSN = 0x169ad58n;

/** A deletion a node accepted: in which generation, and when (remote storage's logical clock). */
export interface RunningDeletion {
  generation: number;
  acceptedAt: number;
}

export interface SimTimeline extends StoredTimeline {
  /** Set while a deletion runs: the time it completes. */
  deletingUntil?: number;
  deletion?: RunningDeletion;
}

export interface SimLocation {
  conf: LocationConfig;
  timelines: Map<string, SimTimeline>;
  /** Set while a tenant deletion runs: the time it completes. */
  deletingUntil?: number;
  deletion?: RunningDeletion;
}

/** What survives a restart. */
export class SimDisk {
  readonly locations = new Map<string, SimLocation>();
}

/** One entry of the controller's re-attach answer (newer controllers send mode and stripe_size). */
export interface ReAttachEntry {
  id: string;
  gen: number | null;
  mode?: string;
  stripe_size?: number | null;
}

/** A secondary as a pageserver makes one on start-up (warm), keeping its tenant config. */
const SECONDARY = { mode: 'Secondary', generation: null, secondary_conf: { warm: true } } as const;

export function isAttached(mode: string): boolean {
  return mode === 'AttachedSingle' || mode === 'AttachedMulti' || mode === 'AttachedStale';
}

/** One node's disk and its dealings with remote storage. */
export class NodeState {
  /** Bytes a secondary still has to download, by shard (absent: none, the secondary is warm). */
  readonly secondaryLag = new Map<string, number>();

  constructor(
    readonly nodeId: number,
    readonly disk: SimDisk,
    readonly storage: SimRemoteStorage,
  ) {}

  /**
   * The contract of a newer pageserver (one that reads `mode`): a shard listed attached runs
   * attached in its new generation (demoted to secondary instead if that generation is lower than
   * the one it holds), a shard listed Secondary is kept or becomes a secondary, and whatever is not
   * listed is dropped. An entry without `mode` means attached, as an older controller meant it.
   */
  applyReAttach(tenants: ReAttachEntry[]): void {
    const listed = new Map(tenants.map((t) => [t.id, t]));
    for (const [shard, loc] of [...this.disk.locations]) {
      const entry = listed.get(shard);
      const mode = entry?.mode ?? 'AttachedSingle';
      const stripe = entry?.stripe_size ?? loc.conf.shard_stripe_size;
      if (entry && isAttached(mode) && entry.gen !== null && entry.gen !== undefined) {
        const gen = entry.gen;
        // Recorded whatever happens next: a decreasing generation is the controller's fault.
        this.storage.recordIssued(shard, gen, this.nodeId, 'AttachedSingle');
        const held = isAttached(loc.conf.mode) ? loc.conf.generation : null;
        if (held !== null && gen < held) {
          loc.conf = { ...loc.conf, ...SECONDARY, shard_stripe_size: stripe };
          continue;
        }
        loc.conf = {
          ...loc.conf,
          mode: 'AttachedSingle',
          generation: gen,
          secondary_conf: null,
          shard_stripe_size: stripe,
        };
        // A deletion cut short by the restart resumes after it, in the generation the node now
        // holds (as a pageserver resumes a marked deletion once it has re-attached).
        const resumed = () => ({ generation: gen, acceptedAt: this.storage.now() });
        if (loc.deletion) loc.deletion = resumed();
        for (const tl of loc.timelines.values()) if (tl.deletion) tl.deletion = resumed();
      } else if (entry && mode === 'Secondary') {
        if (loc.conf.mode !== 'Secondary')
          loc.conf = { ...loc.conf, ...SECONDARY, shard_stripe_size: stripe };
      } else {
        this.disk.locations.delete(shard);
      }
    }
    // A listed shard with no local location is ignored, as a real pageserver does: it only loads
    // tenants it has on disk. The controller attaches such a shard with a location_config call
    // when it reconciles.
  }
  /** An attached location uploads its timelines; a secondary or stale one does not. */
  upload(shard: string): void {
    const loc = this.disk.locations.get(shard);
    if (!loc || (loc.conf.mode !== 'AttachedSingle' && loc.conf.mode !== 'AttachedMulti')) return;
    this.storage.uploadTimelines(
      shard,
      [...loc.timelines.values()].filter((t) => t.deletingUntil === undefined),
    );
  }
  /** A new attachment or a secondary download brings the timelines from remote storage. */
  download(shard: string): Map<string, SimTimeline> {
    return new Map(this.storage.downloadTimelines(shard).map((t) => [t.timeline_id, t]));
  }
  finishDeletions(now = Date.now()): void {
    const storage = this.storage;
    for (const [shard, loc] of [...this.disk.locations]) {
      if (loc.deletingUntil !== undefined && loc.deletingUntil <= now) {
        this.disk.locations.delete(shard);
        if (loc.deletion)
          storage.recordDeletion(shard, loc.deletion.generation, this.nodeId, {
            validatedAt: loc.deletion.acceptedAt,
            untilWall: loc.deletingUntil,
            what: 'tenant',
          });
        continue;
      }
      for (const [id, tl] of [...loc.timelines]) {
        if (tl.deletingUntil !== undefined && tl.deletingUntil <= now) {
          loc.timelines.delete(id);
          if (tl.deletion)
            storage.recordDeletion(shard, tl.deletion.generation, this.nodeId, {
              validatedAt: tl.deletion.acceptedAt,
              untilWall: tl.deletingUntil,
              what: `timeline ${id}`,
            });
        }
      }
    }
  }
  attachedLocation(shard: string): SimLocation {
    const loc = this.disk.locations.get(shard);
    if (!loc || !isAttached(loc.conf.mode) || loc.deletingUntil !== undefined) {
      throw new HttpError(404, `NotFound: tenant ${shard} is not attached here`);
    }
    return loc;
  }
  /** Ingest: moves a timeline's last_record_lsn forward (recorded as a remote write). */
  advanceLsn(shard: string, timelineId: string, by = 0x1000n): bigint {
    const loc = this.disk.locations.get(shard);
    const tl = loc?.timelines.get(timelineId);
    if (!loc || !tl) throw new HttpError(404, `NotFound: timeline ${timelineId} of ${shard}`);
    tl.last_record_lsn += by;
    if (loc.conf.generation !== null)
      this.storage.recordWrite(shard, loc.conf.generation, this.nodeId, 'ingest');
    this.upload(shard);
    return tl.last_record_lsn;
  }

  /** Shards held in AttachedSingle. */
  attachedSingles(): string[] {
    return [...this.disk.locations]
      .filter(([, l]) => l.conf.mode === 'AttachedSingle')
      .map(([shard]) => shard);
  }

  locations(): Array<{ shard: string; conf: LocationConfig }> {
    return [...this.disk.locations].map(([shard, loc]) => ({ shard, conf: loc.conf }));
  }
}
