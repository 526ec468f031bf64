// The simulator's re-attach as a newer pageserver makes it, over real HTTP against a tiny fake
// controller: the request it sends, and what it does with each entry of the answer.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageserverSim } from '../../../local/sim/pageserver';
import type { SimRemoteStorage } from '../../../local/sim/remote-storage';
import type { FakeController } from './fake-controller';
import { attachedBody, simCall, startSimHarness, stopSimHarness } from './sim-harness';

const T = '1f359dd625e519a1a4e8d7509690f6fc';
const TL = 'de200bd42b49cc1814412c7e592dd6e9';

let storage: SimRemoteStorage;
let sim: PageserverSim;
let controller: FakeController;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  simCall(sim, method, path, body, headers);
const attached = attachedBody(T);

beforeEach(async () => {
  ({ storage, sim, controller } = await startSimHarness());
});

afterEach(() => stopSimHarness({ storage, sim, controller }));

describe('re-attach (modern)', () => {
  it('applies the modern contract on restart: listed attached in the new generation, listed secondaries kept or demoted, the rest dropped', async () => {
    const other = '2f359dd625e519a1a4e8d7509690f6fc';
    const third = '3f359dd625e519a1a4e8d7509690f6fc';
    const fourth = '4f359dd625e519a1a4e8d7509690f6fc';
    const fifth = '5f359dd625e519a1a4e8d7509690f6fc';
    const secondary = (id: string) => ({
      ...attached(0),
      tenant_id: id,
      mode: 'Secondary',
      generation: null,
    });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    await call('POST', `/v1/tenant/${T}/timeline`, { new_timeline_id: TL });
    await call('PUT', `/v1/tenant/${other}/location_config`, { ...attached(1), tenant_id: other });
    await call('PUT', `/v1/tenant/${third}/location_config`, secondary(third));
    await call('PUT', `/v1/tenant/${fourth}/location_config`, secondary(fourth));
    await call('PUT', `/v1/tenant/${fifth}/location_config`, { ...attached(5), tenant_id: fifth });
    controller.reAttachTenants = [
      { id: T, gen: 2, mode: 'AttachedSingle', stripe_size: null },
      { id: third, gen: null, mode: 'Secondary', stripe_size: null },
      // Attached here in generation 5: a lower generation is not obeyed, the shard is demoted.
      { id: fifth, gen: 3, mode: 'AttachedSingle', stripe_size: null },
    ];
    await sim.restart();
    await sim.waitUntilActive();
    const list = new Map(
      (await call('GET', '/v1/location_config')).body.tenant_shards as Array<
        [string, { mode: string; generation: number }]
      >,
    );
    expect(list.get(T)).toMatchObject({ mode: 'AttachedSingle', generation: 2 });
    expect(list.has(other)).toBe(false);
    expect(list.get(third)).toMatchObject({ mode: 'Secondary' });
    expect(list.has(fourth)).toBe(false);
    expect(list.get(fifth)).toMatchObject({ mode: 'Secondary', generation: null });
    // the disk survived: the timeline is still there
    expect((await call('GET', `/v1/tenant/${T}/timeline`)).body).toHaveLength(1);
  });

  it('sends the modern request: its registration and whether its disk is empty', async () => {
    controller.reAttachRequests = [];
    await sim.restart();
    await sim.waitUntilActive();
    expect(controller.reAttachRequests.at(-1)).toEqual({
      node_id: 1,
      register: {
        node_id: 1,
        listen_pg_addr: '127.0.0.1',
        listen_pg_port: sim.port,
        listen_http_addr: '127.0.0.1',
        listen_http_port: sim.port,
      },
      empty_local_disk: true,
    });
    await call('PUT', `/v1/tenant/${T}/location_config`, attached(1));
    await sim.restart();
    await sim.waitUntilActive();
    expect(controller.reAttachRequests.at(-1)).toMatchObject({ empty_local_disk: false });
  });
});
