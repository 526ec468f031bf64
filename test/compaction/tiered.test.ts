import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchFromTuples, batchTotalSize, viewBatch } from '../../compaction/entries';
import { identifyLevel, levelDepth } from '../../compaction/levels';
import { type AlgorithmName, SimHost, type SimLayer, Simulator } from '../../compaction/simulator';
import { compactLevel, LEVEL_HEIGHT_SLOP, planDeltaCuts, planImageRanges } from '../../compaction/tiered';
import { KEY_MAX, KEY_MIN, keyspaceSize, PAGE_SIZE } from '../../compaction/types';
import { liveEntryCount, readRecord } from './helpers';

describe('planDeltaCuts', () => {
  it('splits on keys at the target size and gives an oversized key an LSN-split column', () => {
    // Keys 1..3 with 40 bytes each, key 5 with 5 versions of 30 bytes, key 9 with 10 bytes.
    const tuples: [number, number, number][] = [
      [1, 100, 40],
      [2, 101, 40],
      [3, 102, 40],
      [5, 110, 30],
      [5, 120, 30],
      [5, 130, 30],
      [5, 140, 30],
      [5, 150, 30],
      [9, 160, 10],
    ];
    const merged = batchFromTuples(tuples);
    const lsn = { start: 100, end: 200 };
    const cuts = planDeltaCuts(merged, lsn, 100);
    expect(
      cuts.map((c) => [c.keyRange.start, c.keyRange.end, c.lsnRange.start, c.lsnRange.end, c.from, c.to]),
    ).toEqual([
      [KEY_MIN, 3, 100, 200, 0, 2], // keys 1, 2: adding key 3 would exceed 100
      [3, 5, 100, 200, 2, 3], // key 3 alone, cut before the oversized key
      [5, 6, 100, 140, 3, 6], // key 5: 150 bytes > 100 -> split on LSN (90 + 60)
      [5, 6, 140, 200, 6, 8],
      [6, KEY_MAX, 100, 200, 8, 9],
    ]);
  });

  it('covers every entry exactly once, inside its rectangle, within the target unless one entry is bigger', () => {
    const entries = fc
      .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 999 })), {
        selector: ([k, l]) => `${k}:${l}`,
        maxLength: 200,
      })
      .chain((pairs) =>
        fc
          .array(fc.integer({ min: 1, max: 120 }), { minLength: pairs.length, maxLength: pairs.length })
          .map((sizes) =>
            pairs
              .map(([k, l], i): [number, number, number] => [k, l, sizes[i]!])
              .sort((a, b) => a[0] - b[0] || a[1] - b[1]),
          ),
      );
    fc.assert(
      fc.property(entries, fc.integer({ min: 1, max: 400 }), (tuples, target) => {
        const merged = batchFromTuples(tuples);
        const lsn = { start: 0, end: 1000 };
        const cuts = planDeltaCuts(merged, lsn, target);
        let next = 0;
        for (const c of cuts) {
          expect(c.from).toBe(next);
          expect(c.to).toBeGreaterThan(c.from);
          next = c.to;
          const part = viewBatch(merged, c.from, c.to);
          for (let i = 0; i < part.keys.length; i++) {
            expect(part.keys[i]).toBeGreaterThanOrEqual(c.keyRange.start);
            expect(part.keys[i]).toBeLessThan(c.keyRange.end);
            expect(part.lsns[i]).toBeGreaterThanOrEqual(c.lsnRange.start);
            expect(part.lsns[i]).toBeLessThan(c.lsnRange.end);
          }
          if (c.to - c.from > 1) expect(batchTotalSize(part)).toBeLessThanOrEqual(target);
        }
        expect(next).toBe(tuples.length);
        // Layers spanning the whole LSN range tile the key space without overlapping.
        const full = cuts.filter((c) => c.lsnRange.start === lsn.start && c.lsnRange.end === lsn.end);
        for (let i = 1; i < full.length; i++) {
          expect(full[i]!.keyRange.start).toBeGreaterThanOrEqual(full[i - 1]!.keyRange.end);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('planImageRanges', () => {
  it('tiles the whole key range with images of at most the target size, spread evenly', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (keys, targetKeys) => {
          const sorted = [...keys].sort((a, b) => a - b);
          const keyspace = sorted.map((k) => ({ start: k, end: k + 1 }));
          const ranges = planImageRanges(keyspace, targetKeys * PAGE_SIZE);
          expect(ranges[0]!.start).toBe(KEY_MIN);
          expect(ranges.at(-1)!.end).toBe(KEY_MAX);
          for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
          const counts = ranges.map((r) => keyspaceSize(keyspace, r));
          expect(counts.reduce((a, b) => a + b, 0)).toBe(sorted.length);
          expect(Math.max(...counts)).toBeLessThanOrEqual(targetKeys);
          expect(ranges).toHaveLength(Math.ceil(sorted.length / targetKeys));
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('compactLevel decides between images and re-tiled deltas', () => {
  async function hostWithL0s(keyCount: number, perLayer: number, layers: number) {
    const sim = new Simulator({
      keyCount,
      algorithm: 'tiered',
      targetFileSize: perLayer * 100 - 1,
      fanout: 100,
    });
    let key = 0;
    while (sim.flushes < layers) {
      sim.ingest(key, 100);
      key = (key + 7) % keyCount;
    }
    const end = (
      await sim.host.listLayers({ start: 0, end: KEY_MAX }, { start: 0, end: Number.MAX_SAFE_INTEGER })
    )
      .map((l) => l.lsnRange.end)
      .reduce((a, b) => Math.max(a, b));
    return { host: sim.host, end };
  }

  it('covers with images when the keyspace is smaller than the deltas, keeping the deltas', async () => {
    // 10 keys (80 KiB of pages) vs 4 layers of 100 records x 100 bytes (~40 KB): not yet...
    const small = await hostWithL0s(3, 100, 4); // 3 keys = 24 KiB < 40 KB of WAL
    const level = identifyLevel([...small.host.live.values()], small.end, 1e9)!;
    expect(await compactLevel(small.host, level, 16 * PAGE_SIZE)).toBe('images');
    const live = [...small.host.live.values()];
    expect(live.filter((l) => l.kind === 'delta')).toHaveLength(4);
    const images = live.filter((l) => l.kind === 'image');
    expect(images).toHaveLength(1);
    expect(images[0]!.lsnRange.start).toBe(small.end);
    expect(images[0]!.fileSize).toBe(3 * PAGE_SIZE);
    expect(levelDepth(live)).toBe(0);
  });

  it('re-tiles when the keyspace is larger, deleting the inputs and keeping every record', async () => {
    const big = await hostWithL0s(1000, 100, 4); // 1000 keys = 8 MB of pages > 40 KB
    const before = liveEntryCount(big.host);
    const level = identifyLevel([...big.host.live.values()], big.end, 1e9)!;
    expect(await compactLevel(big.host, level, 10_000)).toBe('retile');
    const live = [...big.host.live.values()];
    expect(live.every((l) => l.origin === 'compaction' && l.kind === 'delta')).toBe(true);
    expect(
      live.every((l) => l.lsnRange.start === level.lsnRange.start && l.lsnRange.end === level.lsnRange.end),
    ).toBe(true);
    expect(live.length).toBe(4); // 40 100 bytes / 10 000-byte layers
    expect(liveEntryCount(big.host)).toBe(before);
    expect(big.host.filesDeleted).toBe(4);
  });
});

interface Run {
  algorithm: AlgorithmName;
  targetFileSize: number;
  fanout: number;
  keyCount: number;
  records: [key: number, len: number][];
}

const runArb: fc.Arbitrary<Run> = fc
  .record({
    algorithm: fc.constantFrom<AlgorithmName>('tiered', 'naive'),
    targetFileSize: fc.integer({ min: 500, max: 6000 }),
    fanout: fc.integer({ min: 1, max: 5 }),
    keyCount: fc.integer({ min: 1, max: 300 }),
    skew: fc.constantFrom(0, 0.5, 0.95),
  })
  .chain(({ skew, keyCount, ...rest }) =>
    fc
      .array(
        fc.tuple(
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.integer({ min: 0, max: keyCount - 1 }),
          fc.integer({ min: 1, max: 1500 }),
        ),
        {
          maxLength: 1500,
        },
      )
      .map((raw) => ({
        ...rest,
        keyCount,
        // With probability `skew` a record goes to key 0, so some keys outgrow a layer.
        records: raw.map(([p, k, len]): [number, number] => [p < skew ? 0 : k, len]),
      })),
  );

async function simulate(run: Run, checkDeletes = false): Promise<{ sim: Simulator; lsns: number[] }> {
  const sim = new Simulator({
    keyCount: run.keyCount,
    algorithm: run.algorithm,
    targetFileSize: run.targetFileSize,
    fanout: run.fanout,
    startLsn: 16,
  });
  if (checkDeletes) {
    // A layer may only go once every one of its records is held by another live delta layer.
    const host = sim.host;
    const deleteLayer = host.deleteLayer.bind(host);
    host.deleteLayer = async (layer: SimLayer) => {
      const e = layer.entries!;
      for (let i = 0; i < e.keys.length; i++) {
        const holders = readRecord(host, e.keys[i]!, e.lsns[i]!);
        expect(holders, `record (${e.keys[i]}, ${e.lsns[i]}) of ${layer.id} not rewritten yet`).toHaveLength(
          2,
        );
      }
      return deleteLayer(layer);
    };
  }
  const lsns: number[] = [];
  let lsn = 16;
  for (const [key, len] of run.records) {
    lsns.push(lsn);
    lsn += len;
    if (sim.ingest(key, len)) await sim.compactIfNeeded();
  }
  await sim.finish();
  return { sim, lsns };
}

describe('compaction over simulated ingest (property)', () => {
  it('never loses, duplicates or misplaces a record, and accounts bytes and files exactly', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const { sim, lsns } = await simulate(run, true);
        const host = sim.host;
        // Every (key, lsn) ingested is readable, from exactly one live delta layer, with its size.
        run.records.forEach(([key, len], i) => {
          expect(readRecord(host, key, lsns[i]!)).toEqual([len]);
        });
        expect(liveEntryCount(host)).toBe(run.records.length);
        // Live delta layers do not overlap one another.
        const deltas = [...host.live.values()].filter((l) => l.kind === 'delta');
        for (let i = 0; i < deltas.length; i++) {
          for (let j = i + 1; j < deltas.length; j++) {
            const a = deltas[i]!;
            const b = deltas[j]!;
            const overlap =
              a.keyRange.start < b.keyRange.end &&
              b.keyRange.start < a.keyRange.end &&
              a.lsnRange.start < b.lsnRange.end &&
              b.lsnRange.start < a.lsnRange.end;
            expect(overlap, `${a.id} overlaps ${b.id}`).toBe(false);
          }
        }
        // Byte and file accounting.
        const s = sim.stats();
        expect(s.walIngested).toBe(run.records.reduce((n, [, len]) => n + len, 0));
        let liveBytes = 0;
        for (const l of host.live.values()) liveBytes += l.fileSize;
        expect(s.bytesWritten - s.bytesDeleted).toBe(liveBytes);
        expect(s.filesCreated - s.filesDeleted).toBe(host.live.size);
        // After the final compaction, fewer than `fanout` flushed L0 layers are left stacked above
        // the newest image (the loop stops only when the level is below the fanout).
        if (run.records.length > 0) {
          const end = lsns.at(-1)! + run.records.at(-1)![1];
          const l0 = identifyLevel(
            [...host.live.values()],
            end,
            Math.floor(run.targetFileSize * LEVEL_HEIGHT_SLOP),
          );
          const flushed = (l0?.layers ?? []).filter((l) => l.kind === 'image' || l.origin === 'flush');
          expect(levelDepth(flushed)).toBeLessThan(run.fanout);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('is deterministic: the same input gives the same layers, history and statistics', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const a = await simulate(run);
        const b = await simulate(run);
        expect(b.sim.host.records).toEqual(a.sim.host.records);
        expect(b.sim.host.history).toEqual(a.sim.host.history);
        expect(b.sim.stats()).toEqual(a.sim.stats());
      }),
      { numRuns: 30 },
    );
  });

  it('re-tiles L0 into a deeper level and keeps going down while levels are full (tiered)', async () => {
    // 100 L0 layers of 1000 bytes over a large key space: retiles only, through several levels.
    const records: [number, number][] = Array.from({ length: 100 * 10 }, (_, i) => [(i * 37) % 5000, 100]);
    const { sim } = await simulate({
      algorithm: 'tiered',
      targetFileSize: 999,
      fanout: 4,
      keyCount: 5000,
      records,
    });
    const retiledLevels = new Set(sim.reports.filter((r) => r.action === 'retile').map((r) => r.levelNo));
    expect([...retiledLevels].sort()).toEqual([0, 1, 2]);
    expect(sim.reports.some((r) => r.action === 'images')).toBe(false);
    // Naive never goes past L0.
    const naive = await simulate({
      algorithm: 'naive',
      targetFileSize: 999,
      fanout: 4,
      keyCount: 5000,
      records,
    });
    expect(new Set(naive.sim.reports.map((r) => r.levelNo))).toEqual(new Set([0]));
    expect(naive.sim.readAmp()).toBeGreaterThan(sim.readAmp());
  });
});

describe('SimHost', () => {
  it('reports the keyspace that exists at an LSN', async () => {
    const host = new SimHost(10);
    host.touchKey(3, 100);
    host.touchKey(4, 100);
    host.touchKey(7, 200);
    host.touchKey(3, 300); // not the first write
    expect(await host.getKeyspace({ start: 0, end: KEY_MAX }, 100)).toEqual([]);
    expect(await host.getKeyspace({ start: 0, end: KEY_MAX }, 101)).toEqual([{ start: 3, end: 5 }]);
    expect(await host.getKeyspace({ start: 4, end: KEY_MAX }, 1000)).toEqual([
      { start: 4, end: 5 },
      { start: 7, end: 8 },
    ]);
  });

  it('refuses a delta layer whose entries fall outside it or are unsorted', async () => {
    const host = new SimHost(10);
    const entries = batchFromTuples([
      [1, 10, 1],
      [2, 11, 1],
    ]);
    await expect(
      host.createDeltaLayer({ start: 0, end: 2 }, { start: 0, end: 100 }, entries),
    ).rejects.toThrow(/outside/);
    await expect(
      host.createDeltaLayer({ start: 0, end: 10 }, { start: 0, end: 11 }, entries),
    ).rejects.toThrow(/outside/);
    const unsorted = batchFromTuples([
      [2, 10, 1],
      [1, 11, 1],
    ]);
    await expect(
      host.createDeltaLayer({ start: 0, end: 10 }, { start: 0, end: 100 }, unsorted),
    ).rejects.toThrow(/sorted/);
    const ok = await host.createDeltaLayer({ start: 0, end: 10 }, { start: 0, end: 100 }, entries);
    await host.deleteLayer(ok);
    await expect(host.deleteLayer(ok)).rejects.toThrow(/twice/);
  });
});
