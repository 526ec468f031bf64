// The reference's graceful rolling-restart scenario (later-features.md §4 test 23), small: 3
// simulated pageservers, 60 shards with a secondary each, drain → restart → fill node by node.
// The full size (6 nodes, 1 000 shards) is `npm run bench:rolling-restart`.
import { afterEach, describe, expect, it } from 'vitest';
import { rollingRestart } from '../../bench/rolling-restart/scenario';
import { expectConsistent, startTestApi, type TestApi } from '../support/api-stack';
import { createTenants, shardIdsOf } from './drain-fill/drain-fill-support';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

describe('graceful rolling restart', () => {
  it('drains, restarts and fills 3 nodes in turn: each drain empties its node, each fill rebalances, no shard is ever without an attached location', async () => {
    api = await startTestApi({ pageservers: 3, workflowOptions: { retryIntervalMs: 10 } });
    const tenants = [...(await createTenants(api, 5, 8, 1)), ...(await createTenants(api, 20, 0, 1))];
    const shards = [...shardIdsOf(tenants.slice(0, 5), 8), ...shardIdsOf(tenants.slice(5), 0)];
    expect(shards).toHaveLength(60);
    const result = await rollingRestart(api.stack, shards, {
      operationLimitMs: 120_000,
      sampleEveryMs: 5,
    });
    expect(result.rounds.map((r) => r.node)).toEqual([1, 2, 3]);
    for (const round of result.rounds) {
      expect(round.attachedAfterDrain, `node ${round.node}`).toBe(0);
      expect(round.totalAfterDrain).toBe(60);
      expect(round.totalAfterFill).toBe(60);
      expect(round.balancedAfterFill, round.countsAfterFill.join('/')).toBe(true);
    }
    expect(result.samples).toBeGreaterThan(0);
    expect(result.shardsWithGap).toBe(0);
    await expectConsistent(api);
  }, 240_000);
});
