// The local stack's hooks for benches: simulated pageservers start on the disks given (what a
// restart keeps, or a seeded fleet), and the caller may instrument the document client.
import { expect, it } from 'vitest';
import { secondaryConf } from '../../lambdas/core/model/location-config';
import { SimDisk } from '../../local/sim/pageserver';
import { randomTenantId, startTestApi } from '../support/api-stack';

it('starts each pageserver on its given disk and hands the document client to onDocumentClient', async () => {
  const disk = new SimDisk();
  const shard = randomTenantId();
  // A secondary survives re-attach (an attached location the controller does not list would not).
  disk.locations.set(shard, {
    conf: secondaryConf({ number: 0, count: 0, stripeSize: 32768 }, {}),
    timelines: new Map(),
  });
  let commands = 0;
  const api = await startTestApi({
    pageservers: 1,
    pageserverDisks: [disk],
    onDocumentClient: (doc) =>
      doc.middlewareStack.add(
        (next) => async (args) => {
          commands += 1;
          return next(args);
        },
        { step: 'initialize' },
      ),
  });
  try {
    expect(api.stack.fleet.byId(1).disk).toBe(disk);
    // The startup scan saw what the disk held: a location the table does not know.
    expect(api.stack.startup.unknown).toEqual([{ shard, node: 1 }]);
    expect(commands).toBeGreaterThan(0);
  } finally {
    await api.stop();
  }
});
