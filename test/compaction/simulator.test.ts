import { describe, expect, it } from 'vitest';
import { Prng } from '../../compaction/prng';
import { Simulator, storageAmp, writeAmp } from '../../compaction/simulator';
import { formatTable, QUICK_SCALE, runScenario, type Scale } from '../../compaction/suite';
import { renderSvg } from '../../compaction/svg';
import { makeWorkload } from '../../compaction/workloads';

describe('Prng', () => {
  it('repeats exactly for a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const r = new Prng(seed);
      return Array.from({ length: 50 }, () => r.nextU32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('stays in range and is roughly uniform', () => {
    const r = new Prng(1);
    const buckets = new Array<number>(10).fill(0);
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const v = r.nextInt(10);
      if (!(Number.isInteger(v) && v >= 0 && v < 10)) bad++;
      else buckets[v]!++;
    }
    expect(bad).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      const big = r.nextInt(2 ** 40);
      if (!(f >= 0 && f < 1 && Number.isInteger(big) && big >= 0 && big < 2 ** 40)) bad++;
    }
    expect(bad).toBe(0);
  });
});

describe('workloads', () => {
  const params = { records: 100_000, recordSize: 1000, logicalSize: 8192 * 1000, seed: 3 };

  it('uniform covers the key range; hot-cold puts 90 % of records in the first 10 % of keys', () => {
    const uniform = makeWorkload('uniform', params);
    expect(uniform.keyCount).toBe(1000);
    const hc = makeWorkload('hot-cold', params);
    expect(hc.keyCount).toBe(1000);
    let hot = 0;
    let outOfRange = 0;
    const seen = new Set<number>();
    for (let i = 0; i < params.records; i++) {
      const k = hc.nextKey(i);
      if (!(k >= 0 && k < hc.keyCount)) outOfRange++;
      if (k < 100) hot++;
      seen.add(uniform.nextKey(i));
    }
    expect(outOfRange).toBe(0);
    expect(hot / params.records).toBeGreaterThan(0.88);
    expect(hot / params.records).toBeLessThan(0.92);
    expect(seen.size).toBe(1000);
  });

  it('append-only fills one page after another', () => {
    const w = makeWorkload('append-only', params);
    expect([0, 7, 8, 15, 16].map((i) => w.nextKey(i))).toEqual([0, 0, 1, 1, 2]);
    expect(w.keyCount).toBe(12_500);
  });
});

describe('statistics', () => {
  it('follow the reference definitions on a run small enough to check by hand', async () => {
    // 5 keys, 1000-byte records, 2500-byte target: a flush every 3 records (3000 > 2500).
    const sim = new Simulator({ keyCount: 5, algorithm: 'naive', targetFileSize: 2500, fanout: 2 });
    for (let i = 0; i < 6; i++) if (sim.ingest(i % 5, 1000)) await sim.compactIfNeeded();
    // Two L0 flushes of 3000 bytes; then naive merges both (fanout 2) and re-tiles the 6000 bytes.
    const s = sim.stats();
    expect(s.walIngested).toBe(6000);
    expect(s.filesDeleted).toBe(2);
    expect(s.bytesDeleted).toBe(6000);
    expect(s.bytesWritten).toBe(12_000);
    expect(s.filesCreated).toBe(2 + 3); // 6000 bytes re-tiled into <= 2500-byte layers: 2+2+2 records
    expect(writeAmp(s)).toBe(2);
    expect(storageAmp(s)).toBe(1);
  });

  it('repeat exactly for a seed, and the table lists every run', async () => {
    const tiny: Scale = {
      ...QUICK_SCALE,
      name: 'tiny',
      records: 20_000,
      logicalSize: 4_000_000,
      targetFileSize: 200_000,
    };
    const a = await runScenario('hot-cold', 'tiered', { scale: tiny, seed: 5 });
    const b = await runScenario('hot-cold', 'tiered', { scale: tiny, seed: 5 });
    const n = await runScenario('hot-cold', 'naive', { scale: tiny, seed: 5 });
    expect(b.stats).toEqual(a.stats);
    expect(b.history).toEqual(a.history);
    expect(a.stats.walIngested).toBe(20_000_000);
    expect(a.flushes).toBe(n.flushes);
    expect(a.stats.bytesWritten).toBeGreaterThan(a.stats.walIngested);
    const table = formatTable([a, n]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| hot-cold +\| tiered +\| +19 \|/);
    expect(lines[3]).toMatch(/^\| hot-cold +\| naive +\|/);
    expect(table).toContain(writeAmp(a.stats).toFixed(2));
  });
});

describe('renderSvg', () => {
  it('draws every layer as a rectangle that appears, and disappears if deleted, over time', async () => {
    const tiny: Scale = {
      ...QUICK_SCALE,
      name: 'tiny',
      records: 5_000,
      logicalSize: 2_000_000,
      targetFileSize: 100_000,
    };
    const r = await runScenario('uniform', 'tiered', { scale: tiny });
    const svg = renderSvg([{ title: 'uniform — tiered', layers: r.layers, history: r.history }]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const rects = svg.match(/<rect [^>]*visibility="hidden"/g) ?? [];
    expect(rects).toHaveLength(r.layers.length);
    expect(svg.match(/to="visible"/g)).toHaveLength(r.layers.length);
    expect(svg.match(/to="hidden"/g)).toHaveLength(r.stats.filesDeleted);
    expect(svg).toContain('<animate ');
    expect(svg).toMatch(/data-duration="[0-9.]+"/);
    // Two panels side by side are twice as wide.
    const two = renderSvg([
      { title: 'a', layers: r.layers, history: r.history },
      { title: 'b', layers: r.layers, history: r.history },
    ]);
    const width = (s: string) => Number(/width="(\d+)"/.exec(s)![1]);
    expect(width(two)).toBe(2 * width(svg));
  });
});
