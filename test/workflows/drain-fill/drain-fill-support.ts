// Helpers of the drain and fill tests: tenants through the API, the node list, waiting for an
// operation's execution, and a sampler that watches every shard's attached locations on the
// simulated pageservers while an operation runs.
import { expect } from 'vitest';
import type { SimFleet } from '../../../local/sim/fleet';
import { randomTenantId, type TestApi } from '../../support/api-stack';

export interface NodeJson {
  id: number;
  availability: string;
  scheduling: string;
}

export async function createTenants(
  api: TestApi,
  tenants: number,
  count: number,
  secondaries: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < tenants; i++) {
    const t = randomTenantId();
    const res = await api.call('POST', '/v1/tenant', {
      body: {
        new_tenant_id: t,
        shard_parameters: { count, stripe_size: 128 },
        placement_policy: { Attached: secondaries },
      },
    });
    expect(res.status, res.text).toBe(201);
    ids.push(t);
  }
  return ids;
}

export async function nodes(api: TestApi): Promise<NodeJson[]> {
  const res = await api.call('GET', '/control/v1/node');
  expect(res.status, res.text).toBe(200);
  return (res.body as NodeJson[]).sort((a, b) => a.id - b.id);
}

export async function scheduling(api: TestApi, id: number): Promise<string | undefined> {
  return (await nodes(api)).find((n) => n.id === id)?.scheduling;
}

/** Waits until a restarted node is past WarmingUp (a heartbeat answered after its re-attach). */
export async function untilAvailable(api: TestApi, id: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await nodes(api)).find((n) => n.id === id)?.availability !== 'Active') {
    if (Date.now() > deadline) throw new Error(`node ${id} not Active within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Attached shards per node as the controller's intents say (consistency check keeps them true). */
export async function attachedPerNode(api: TestApi): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const node of await nodes(api)) counts.set(node.id, 0);
  for (const ps of api.stack.fleet.pageservers)
    counts.set(ps.nodeId, ps.locations().filter((l) => l.conf.mode === 'AttachedSingle').length);
  return counts;
}

/** Polls the execution until it stops; returns its final status. */
export async function waitForOperation(
  api: TestApi,
  executionId: string,
  limitMs = 120_000,
): Promise<string> {
  const until = Date.now() + limitMs;
  for (;;) {
    const execution = await api.stack.services.workflows.describe(executionId);
    if (execution?.status !== 'RUNNING') return `${execution?.status} ${JSON.stringify(execution?.error)}`;
    if (Date.now() > until) throw new Error(`execution ${executionId} still running after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts an operation (PUT), expecting 202 with its execution, and returns the execution id. */
export async function start(api: TestApi, path: string): Promise<string> {
  const res = await api.call('PUT', path);
  expect(res.status, res.text).toBe(202);
  return (res.body as { execution_id: string }).execution_id;
}

/**
 * Watches the fleet every few milliseconds: for each shard, the stretches during which no
 * pageserver held it attached. `stop` returns how many samples found some shard with no
 * attached location, and the longest such stretch in samples.
 */
export function availabilitySampler(fleet: SimFleet, shards: string[], everyMs = 5) {
  const missingSince = new Map<string, number>();
  let samples = 0;
  let gapSamples = 0;
  let longestGap = 0;
  const timer = setInterval(() => {
    samples += 1;
    const attached = new Set<string>();
    for (const ps of fleet.pageservers)
      for (const l of ps.locations()) if (l.conf.mode.startsWith('Attached')) attached.add(l.shard);
    let anyMissing = false;
    for (const shard of shards) {
      if (attached.has(shard)) {
        missingSince.delete(shard);
        continue;
      }
      anyMissing = true;
      const since = missingSince.get(shard) ?? samples;
      missingSince.set(shard, since);
      longestGap = Math.max(longestGap, samples - since + 1);
    }
    if (anyMissing) gapSamples += 1;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { samples, gapSamples, longestGap };
    },
  };
}

/** Every shard id of the tenants (count shards each). */
export function shardIdsOf(tenants: string[], count: number): string[] {
  return tenants.flatMap((t) =>
    count === 0
      ? [t]
      : Array.from(
          { length: count },
          (_, i) => `${t}-${i.toString(16).padStart(2, '0')}${count.toString(16).padStart(2, '0')}`,
        ),
  );
}
