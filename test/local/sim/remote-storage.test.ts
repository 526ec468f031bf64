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

  it('forgets a refusal once the node is told to attach the shard again', () => {
    const storage = new SimRemoteStorage();
    storage.recordRefused(1, shard);
    storage.recordIssued(shard, 3, 1);
    storage.reportHolder(1, [shard]);
    storage.reportHolder(2, [shard]);
    expect(storage.recordedViolations()).toHaveLength(1);
  });

  it('is not one when a node still loading an older re-attach answer refused the demotion', () => {
    // Node 1 is handed generation 2 at re-attach, answers 503 while it loads (the controller's
    // demotion among them), the controller attaches node 2 in generation 3, then node 1 is active.
    const storage = new SimRemoteStorage();
    storage.recordIssued(shard, 2, 1);
    storage.recordRefused(1, shard);
    storage.recordIssued(shard, 3, 2);
    storage.reportHolder(2, [shard]);
    storage.reportHolder(1, [shard]);
    expect(storage.recordedViolations()).toEqual([]);
  });

  it('is one when the loading node was never asked to step down', () => {
    const storage = new SimRemoteStorage();
    storage.recordIssued(shard, 2, 1);
    storage.recordIssued(shard, 3, 2);
    storage.reportHolder(2, [shard]);
    storage.reportHolder(1, [shard]);
    expect(storage.recordedViolations()).toEqual([
      `shard ${shard} became AttachedSingle on node 1 while live on 2`,
    ]);
  });
});
