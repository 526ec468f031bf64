// The local stack's hooks for benches: simulated pageservers start on the disks given (what a
// restart keeps, or a seeded fleet), and the caller may instrument the document client.
import { expect, it } from 'vitest';
import { secondaryConf } from '../../lambdas/core/model/location-config';
import { SimDisk } from '../../local/sim/pageserver';
import { randomTenantId, startTestApi } from '../support/api-stack';

it('starts each pageserver on its given disk and hands the document client to onDocumentClient', async () => {
  const disk = new SimDisk();
  const shard = randomTenantId();
  // A location the table does not know: the controller's re-attach answer does not list it.
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
    // The pageserver ran on that disk: it dropped what re-attach did not list, as newer
    // pageservers do, so the startup scan found nothing unknown.
    expect(disk.locations.has(shard)).toBe(false);
    expect(api.stack.startup.unknown).toEqual([]);
    expect(commands).toBeGreaterThan(0);
  } finally {
    await api.stop();
  }
});
