import { describe, expect, it } from 'vitest';
import { identifyLevel, LevelCutError, levelDepth } from '../../compaction/levels';
import { KEY_MAX, KEY_MIN, type LayerDesc } from '../../compaction/types';
import { delta, image } from './helpers';

const ids = (layers: readonly LayerDesc[]) => layers.map((l) => l.id).sort();

describe('identifyLevel on hand-made layer maps', () => {
  // Full-key-range deltas stacked in LSN, one of them twice as tall, and a gap in LSN.
  const stack = [
    delta(KEY_MIN, KEY_MAX, 0x8000, 0x9000),
    delta(KEY_MIN, KEY_MAX, 0x5000, 0x7000),
    delta(KEY_MIN, KEY_MAX, 0x4000, 0x5000),
    delta(KEY_MIN, KEY_MAX, 0x3000, 0x4000),
    delta(KEY_MIN, KEY_MAX, 0x2000, 0x3000),
    delta(KEY_MIN, KEY_MAX, 0x1000, 0x2000),
  ];

  it('takes every layer when all fit the height', () => {
    const level = identifyLevel(stack, 0x10000, 0x2000)!;
    expect(level.lsnRange).toEqual({ start: 0x1000, end: 0x10000 });
    expect(level.layers).toHaveLength(6);
    expect(levelDepth(level.layers)).toBe(6);
  });

  it('stops above a layer that is too tall for the level', () => {
    const level = identifyLevel(stack, 0x10000, 0x1000)!;
    expect(level.lsnRange).toEqual({ start: 0x7000, end: 0x10000 });
    expect(ids(level.layers)).toEqual([stack[0]!.id]);
    expect(levelDepth(level.layers)).toBe(1);
  });

  it('ignores everything above the cut-off LSN', () => {
    const level = identifyLevel(stack, 0x3000, 0x1000)!;
    expect(level.lsnRange).toEqual({ start: 0x1000, end: 0x3000 });
    expect(ids(level.layers)).toEqual(ids([stack[4]!, stack[5]!]));
    expect(levelDepth(level.layers)).toBe(2);
  });

  it('rejects a cut-off LSN that a delta layer crosses', () => {
    expect(() => identifyLevel(stack, 0x6000, 0x1000)).toThrow(LevelCutError);
  });

  it('returns nothing when there is nothing below the cut, or the newest delta is too tall', () => {
    expect(identifyLevel([], 0x1000, 0x1000)).toBeUndefined();
    expect(identifyLevel(stack, 0x1000, 0x1000)).toBeUndefined();
    expect(identifyLevel([delta(0, 10, 0, 0x5000)], 0x5000, 0x1000)).toBeUndefined();
  });

  it('does not cut through overlapping LSN ranges, even if that leaves small layers out', () => {
    const layers = [
      delta(KEY_MIN, KEY_MAX, 0x4000, 0x5000),
      delta(KEY_MIN, KEY_MAX, 0x3000, 0x4000), // overlaps the next one
      delta(KEY_MIN, KEY_MAX, 0x2500, 0x3500),
      delta(KEY_MIN, KEY_MAX, 0x2000, 0x3000),
      delta(KEY_MIN, KEY_MAX, 0x1000, 0x2500), // too tall
    ];
    const level = identifyLevel(layers, 0x10000, 0x1000)!;
    expect(level.lsnRange).toEqual({ start: 0x4000, end: 0x10000 });
    expect(ids(level.layers)).toEqual([layers[0]!.id]);
  });

  it('recognises L0 above a key-partitioned L1 tier, then the L1 tier below it', () => {
    const H = 100;
    const l1 = [0, 1, 2, 3].map((i) => delta(i * 1000, (i + 1) * 1000, 0, 4 * H));
    const l0 = [4, 5, 6].map((i) => delta(KEY_MIN, KEY_MAX, i * H, (i + 1) * H));
    const all = [...l1, ...l0];
    const top = identifyLevel(all, 7 * H, 1.75 * H)!;
    expect(top.lsnRange).toEqual({ start: 4 * H, end: 7 * H });
    expect(ids(top.layers)).toEqual(ids(l0));
    expect(levelDepth(top.layers)).toBe(3);
    const below = identifyLevel(all, 4 * H, 1.75 * 4 * H)!;
    expect(below.lsnRange).toEqual({ start: 0, end: 4 * H });
    expect(ids(below.layers)).toEqual(ids(l1));
    expect(levelDepth(below.layers)).toBe(1);
  });

  it('lets image layers through the cut and includes an image sitting exactly at the end', () => {
    const layers = [
      delta(0, 100, 0x2000, 0x3000),
      image(0, 100, 0x2000),
      delta(0, 100, 0x1000, 0x2000),
      image(0, 100, 0x3000), // exactly at the end: included
      image(0, 100, 0x3001), // above: excluded
      delta(0, 100, 0x3000, 0x4000), // starts at the end: excluded
    ];
    const level = identifyLevel(layers, 0x3000, 0x1000)!;
    expect(level.lsnRange).toEqual({ start: 0x1000, end: 0x3000 });
    expect(ids(level.layers)).toEqual(ids(layers.slice(0, 4)));
  });
});

describe('levelDepth', () => {
  it('is 1 for layers that do not overlap in key space', () => {
    const layers = [
      delta(4000, 5000, 0x6000, 0x7000),
      delta(3000, 4000, 0x7000, 0x8000),
      delta(1000, 2000, 0x8000, 0x9000),
    ];
    expect(levelDepth(layers)).toBe(1);
    const level = identifyLevel(layers, 0x10000, 0x2000)!;
    expect(level.layers).toHaveLength(3);
  });

  it('counts only layers that really stack over some key', () => {
    const staggered = [
      delta(1000, 2000, 0x8000, 0x9000),
      delta(1500, 2500, 0x7000, 0x8000),
      delta(2000, 3000, 0x6000, 0x7000),
    ];
    expect(levelDepth(staggered)).toBe(2);
  });

  it('does not count deltas under the newest image of a key', () => {
    const layers = [
      delta(1000, 2000, 0x8000, 0x9000),
      delta(1500, 2500, 0x7000, 0x8000),
      delta(2000, 3000, 0x6000, 0x7000),
      image(1500, 2500, 0x9000), // covers the middle: nothing above it there
    ];
    expect(levelDepth(layers)).toBe(1);
    // An image below the deltas does not help.
    expect(levelDepth([...layers.slice(0, 3), image(1500, 2500, 0x5000)])).toBe(2);
  });

  it('is 0 for no layers or images only', () => {
    expect(levelDepth([])).toBe(0);
    expect(levelDepth([image(0, 10, 5)])).toBe(0);
  });
});
