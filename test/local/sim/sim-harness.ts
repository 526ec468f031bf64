// One simulated pageserver over real HTTP with a tiny fake controller, as the simulator's own
// tests drive it: started fresh for each test, called through `simCall`.
import { type PageserverSim, startPageserverSim } from '../../../local/sim/pageserver';
import { SimRemoteStorage } from '../../../local/sim/remote-storage';
import { type FakeController, fakeController } from './fake-controller';

export interface SimHarness {
  storage: SimRemoteStorage;
  sim: PageserverSim;
  controller: FakeController;
}

export async function startSimHarness(): Promise<SimHarness> {
  const storage = new SimRemoteStorage();
  const controller = await fakeController();
  const sim = await startPageserverSim({
    nodeId: 1,
    storage,
    controlPlaneApi: controller.url,
    // Long enough that a repeat call right after the 202 still sees the deletion running.
    deletionMs: 500,
    reAttachBackoffMs: () => 20,
  });
  await sim.waitUntilActive();
  return { storage, sim, controller };
}

export async function stopSimHarness({ sim, controller }: SimHarness): Promise<void> {
  await sim.stop();
  await new Promise<void>((r) => controller.server.close(() => r()));
}

export async function simCall(
  sim: PageserverSim,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? null),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** An unsharded tenant's AttachedSingle location_config body in `gen`. */
export const attachedBody =
  (tenantId: string) =>
  (gen: number, extra: Record<string, unknown> = {}) => ({
    tenant_id: tenantId,
    mode: 'AttachedSingle',
    generation: gen,
    secondary_conf: null,
    shard_number: 0,
    shard_count: 0,
    shard_stripe_size: 32768,
    tenant_conf: {},
    ...extra,
  });
