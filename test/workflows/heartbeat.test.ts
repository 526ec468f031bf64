// The heartbeat workflow (statemachines/heartbeat.asl.json) on the local runner, real tasks, real
// simulated pageservers: the schedule's execution beats until its window is spent; a re-attach's
// beats its node until the node is no longer WarmingUp.
import { afterEach, describe, expect, it } from 'vitest';
import { waitForExecution } from '../../lambdas/workflows/wait-execution';
import { startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

async function run(input: Record<string, unknown>) {
  const { workflows } = api.stack.services;
  const { id } = await workflows.start(
    'heartbeat',
    `heartbeat-test-${Math.random().toString(16).slice(2, 10)}`,
    input,
  );
  const done = await waitForExecution(workflows, id, 60_000);
  const beats = (await workflows.history(id)).filter(
    (e) => e.type === 'StateEntered' && (e.state as { name: string }).name === 'Beat',
  ).length;
  return { done, beats };
}

describe('heartbeat workflow', () => {
  it('beats every interval while another beat fits in the window, then ends', async () => {
    api = await startTestApi({ pageservers: 2 });
    const { done, beats } = await run({ nodes: null, interval: 1, window: 3 });
    expect(done?.status).toBe('SUCCEEDED');
    // Beats start at 0 s, about 1 s and about 2 s; one that would start at 3 s does not fit.
    expect(beats).toBeGreaterThanOrEqual(2);
    expect(beats).toBeLessThanOrEqual(3);
    expect(done?.output).toMatchObject({ beat: { continue: false, failing: [] } });
  });

  it("beats a re-attached node until it answers, then stops (its node's execution)", async () => {
    api = await startTestApi({ pageservers: 2 });
    const ps = api.stack.fleet.byId(2);
    const node = (await api.stack.services.nodes.get(2))!;
    await api.stack.services.nodes.update(2, node.version, {
      availability: 'WarmingUp',
      warmingUpSince: Date.now(),
    });
    ps.faults.add({ path: '^/v1/utilization$', status: 503, count: 8 });
    const { done, beats } = await run({ nodes: [2], interval: 1, window: 30 });
    expect(done?.status).toBe('SUCCEEDED');
    // Each beat probes 4 times (1 + 3 retries): 8 refusals take two beats, the third answers.
    expect(beats).toBe(3);
    expect((await api.stack.services.nodes.get(2))?.availability).toBe('Active');
    expect(done?.output).toMatchObject({
      beat: { continue: false, transitions: [{ node: 2, to: 'Active' }] },
    });
  });
});
