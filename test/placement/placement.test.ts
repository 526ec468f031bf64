// AZ-aware placement end to end: preferred AZs on create, the optimizer bringing shards home
// through reconcile-all (real ASL files, simulated pageservers, DynamoDB Local), split children
// keeping their AZ, the bulk preferred-AZ route, and migrate's refusal of a worse-scoring node.
import { afterEach, describe, expect, it } from 'vitest';
import { expectConsistent, randomTenantId, startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

const AZS = ['az-a', 'az-b', 'az-c'];

/** Node i+1 is in AZS[i % 3]. */
const azOf = (node: number) => AZS[(node - 1) % AZS.length]!;

async function start(pageservers: number) {
  api = await startTestApi({
    pageservers,
    availabilityZones: AZS,
    workflowOptions: { retryIntervalMs: 10 },
  });
}

interface DescribedShard {
  tenant_shard_id: string;
  node_attached: number | null;
  node_secondary: number[];
  preferred_az_id: string | null;
}

async function create(count = 0, policy: unknown = { Attached: 0 }): Promise<string> {
  const t = randomTenantId();
  const res = await api.call('POST', '/v1/tenant', {
    body: { new_tenant_id: t, shard_parameters: { count, stripe_size: 128 }, placement_policy: policy },
  });
  expect(res.status, res.text).toBe(201);
  return t;
}

async function describeShards(t: string): Promise<DescribedShard[]> {
  const res = await api.call('GET', `/control/v1/tenant/${t}`);
  expect(res.status, res.text).toBe(200);
  return (res.body as { shards: DescribedShard[] }).shards;
}

async function setAvailability(node: number, availability: 'Active' | 'Offline') {
  const res = await api.call('PUT', `/control/v1/node/${node}/config`, {
    body: { node_id: node, availability },
  });
  expect(res.status, res.text).toBe(200);
}

/** Waits until no migration (the optimizer's included) runs. */
async function migrationsDone() {
  for (;;) {
    const running = await api.stack.services.workflows.list({ status: 'RUNNING', limit: 1000 });
    if (!running.some((e) => e.workflow === 'migrate')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reconcile-all passes (with the migrations they start) until `done` holds; the passes it took. */
async function passesUntil(done: () => Promise<boolean>, max = 40): Promise<number> {
  for (let pass = 1; pass <= max; pass++) {
    await api.stack.reconcileAllNow();
    await migrationsDone();
    if (await done()) return pass;
  }
  throw new Error(`not settled after ${max} passes`);
}

const WRITES = ['PutCommand', 'UpdateCommand', 'DeleteCommand', 'TransactWriteCommand', 'BatchWriteCommand'];
const writes = () =>
  WRITES.reduce((sum, command) => sum + (api.stack.dynamoTraffic.calls.get(command) ?? 0), 0);

describe('preferred AZs', () => {
  it('gives new tenants their home AZ round robin, all shards of a tenant the same one, attached there', async () => {
    await start(3);
    const tenants: string[] = [];
    for (let i = 0; i < 6; i++) tenants.push(await create(i === 0 ? 2 : 0));
    const homes = [];
    for (const t of tenants) {
      const shards = await describeShards(t);
      // The two-shard tenant counts twice toward its AZ's home shards.
      expect(new Set(shards.map((s) => s.preferred_az_id)).size).toBe(1);
      for (const s of shards) expect(azOf(s.node_attached!)).toBe(s.preferred_az_id);
      homes.push(shards[0]!.preferred_az_id);
    }
    expect(homes).toEqual(['az-a', 'az-b', 'az-c', 'az-b', 'az-c', 'az-a']);
    await expectConsistent(api);
  });

  it("sends the tenant's preferred AZ in the compute notification", async () => {
    await start(3);
    const t = await create();
    const [shard] = await describeShards(t);
    const last = api.stack
      .computeHook!.notifications.map((n) => n.body as { tenant_id: string; preferred_az: string | null })
      .filter((n) => n.tenant_id === t)
      .at(-1);
    expect(last?.preferred_az).toBe(shard!.preferred_az_id);
  });

  it('sets and clears preferred AZs in bulk, and refuses an unknown AZ or shard without writing', async () => {
    await start(3);
    const t = await create(2);
    const [s0, s1] = (await describeShards(t)).map((s) => s.tenant_shard_id);
    const before = (await describeShards(t)).map((s) => s.preferred_az_id);
    const badAz = await api.call('PUT', '/control/v1/preferred_azs', { body: { [s0!]: 'az-z' } });
    expect(badAz.status).toBe(400);
    expect(badAz.text).toContain('az-z');
    const unknown = `${randomTenantId()}`;
    const missing = await api.call('PUT', '/control/v1/preferred_azs', {
      body: { [s0!]: 'az-c', [unknown]: 'az-c' },
    });
    expect(missing.status).toBe(404);
    const badId = await api.call('PUT', '/control/v1/preferred_azs', { body: { 'not-a-shard': 'az-c' } });
    expect(badId.status).toBe(400);
    expect(badId.text).toContain("unknown field 'not-a-shard'");
    expect((await describeShards(t)).map((s) => s.preferred_az_id)).toEqual(before);

    const target = before[0] === 'az-c' ? 'az-b' : 'az-c';
    const set = await api.call('PUT', '/control/v1/preferred_azs', { body: { [s0!]: target, [s1!]: null } });
    expect(set.status, set.text).toBe(200);
    expect((set.body as { updated: string[] }).updated.sort()).toEqual([s0, s1].sort());
    expect((await describeShards(t)).map((s) => s.preferred_az_id)).toEqual([target, null]);
    const again = await api.call('PUT', '/control/v1/preferred_azs', { body: { [s0!]: target } });
    expect(again.body).toEqual({ updated: [] });

    // The optimizer moves the attachment into its new home AZ.
    await passesUntil(async () => azOf((await describeShards(t))[0]!.node_attached!) === target);
    await expectConsistent(api);
  });
});

describe('the optimizer', { timeout: 120_000 }, () => {
  it('moves shards created while their AZ was down home once it returns, then plans nothing and writes nothing', async () => {
    await start(6);
    // az-c (nodes 3 and 6) goes down.
    for (const node of [3, 6]) {
      await setAvailability(node, 'Offline');
      await api.stack.fleet.byId(node).stop();
    }
    const tenants: string[] = [];
    for (let i = 0; i < 9; i++) tenants.push(await create(0, { Attached: 1 }));
    const all = async () => (await Promise.all(tenants.map(describeShards))).flat();
    const homedInC = (await all()).filter((s) => s.preferred_az_id === 'az-c');
    expect(homedInC).toHaveLength(3);
    for (const s of homedInC) expect(azOf(s.node_attached!)).not.toBe('az-c');

    for (const node of [3, 6]) {
      await api.stack.fleet.byId(node).start();
      await api.stack.fleet.byId(node).waitUntilActive();
      await setAvailability(node, 'Active');
    }
    const home = async () =>
      (await all()).every(
        (s) =>
          azOf(s.node_attached!) === s.preferred_az_id &&
          s.node_secondary.length === 1 &&
          s.node_secondary.every((n) => azOf(n) !== s.preferred_az_id),
      );
    await passesUntil(home);
    // Then it converges: a pass comes that plans nothing, so it writes nothing to the table, and
    // the next one is the same (no flapping).
    const quiet = async () => {
      const before = writes();
      await api.stack.reconcileAllNow();
      await migrationsDone();
      return writes() === before;
    };
    let passes = 0;
    while (!(await quiet())) expect(++passes).toBeLessThan(30);
    expect(await quiet()).toBe(true);
    expect(await home()).toBe(true);
    await expectConsistent(api);
  });

  it("keeps split children in the parent's AZ, and spreads them within it", async () => {
    await start(6);
    const t = await create(0);
    const [parent] = await describeShards(t);
    const az = parent!.preferred_az_id!;
    const split = await api.call('PUT', `/control/v1/tenant/${t}/shard_split`, {
      body: { new_shard_count: 4 },
    });
    expect(split.status, split.text).toBe(200);
    const children = await describeShards(t);
    expect(children).toHaveLength(4);
    for (const c of children) expect(c.preferred_az_id).toBe(az);
    // All children start on the parent's node; the optimizer spreads them over the AZ's two nodes.
    const spread = async () => {
      const shards = await describeShards(t);
      const nodes = shards.map((s) => s.node_attached!);
      return nodes.every((n) => azOf(n) === az) && new Set(nodes).size === 2;
    };
    await passesUntil(spread);
    for (const c of await describeShards(t)) expect(c.preferred_az_id).toBe(az);
    await expectConsistent(api);
  });
});

describe('migrate', () => {
  it('refuses a worse-scoring node (outside the preferred AZ) unless override_scheduler is set', async () => {
    await start(3);
    const t = await create();
    const [shard] = await describeShards(t);
    const away = [1, 2, 3].find((n) => azOf(n) !== shard!.preferred_az_id)!;
    const refused = await api.call('PUT', `/control/v1/tenant/${t}/migrate`, { body: { node_id: away } });
    expect(refused.status).toBe(412);
    expect(refused.text).toContain('worse-scoring');
    expect(refused.text).toContain(shard!.preferred_az_id!);
    expect((await describeShards(t))[0]!.node_attached).toBe(shard!.node_attached);
    const forced = await api.call('PUT', `/control/v1/tenant/${t}/migrate`, {
      body: { node_id: away, migration_config: { override_scheduler: true } },
    });
    expect(forced.status, forced.text).toBe(200);
    expect((await describeShards(t))[0]!.node_attached).toBe(away);
    await expectConsistent(api);
  });
});
