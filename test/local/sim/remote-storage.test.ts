// The "two sole holders" check: an overlap is a violation unless the old holder refused (or hung
// on) a location_config for that shard, which is the controller's cue to fence it by generation.
import { describe, expect, it } from 'vitest';
import { SimRemoteStorage } from '../../../local/sim/remote-storage';

const shard = '1f359dd625e519a1a4e8d7509690f6fc';

describe('two live AttachedSingle holders', () => {
  it('is a violation when the old holder could have been demoted', () => {
    const storage = new SimRemoteStorage();
    storage.reportHolder(1, [shard]);
    storage.reportHolder(2, [shard]);
    expect(storage.recordedViolations()).toEqual([
      `shard ${shard} became AttachedSingle on node 2 while live on 1`,
    ]);
  });

  it('is not one when the old holder refused a location_config for the shard', () => {
    const storage = new SimRemoteStorage();
    storage.reportHolder(1, [shard]);
    storage.recordRefused(1, shard);
    storage.reportHolder(2, [shard]);
    expect(storage.recordedViolations()).toEqual([]);
  });

  it('forgets a refusal once the node becomes sole holder again', () => {
    const storage = new SimRemoteStorage();
    storage.recordRefused(1, shard);
    storage.reportHolder(1, [shard]);
    storage.reportHolder(2, [shard]);
    expect(storage.recordedViolations()).toHaveLength(1);
  });
});
