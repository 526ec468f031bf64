// The chaos harness's own checks: the PRNG replays a seed, and the convergence oracle passes on a
// healthy stack and names what is wrong once a location is planted behind the controller's back.
import { afterEach, describe, expect, it } from 'vitest';
import { type ChaosStack, startChaosStack } from './chaos-stack';
import { convergenceProblems } from './oracle';
import { Prng } from './prng';

describe('prng', () => {
  it('replays a seed and differs between seeds', () => {
    const draw = (seed: number) => {
      const rng = new Prng(seed);
      return [rng.hexId(), rng.int(1, 6), rng.weighted({ a: 1, b: 2 }), rng.chance(0.5)];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7)[0]).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('convergence oracle', () => {
  let chaos: ChaosStack | undefined;
  afterEach(async () => {
    await chaos?.stop();
  });

  it('passes on a healthy stack and names an orphan and a second attached location', async () => {
    chaos = await startChaosStack({ pageservers: 2 });
    const t = new Prng(3).hexId();
    const created = await chaos.call('POST', '/v1/tenant', { new_tenant_id: t });
    expect(created.status, created.text).toBe(201);
    await chaos.api.stack.reconcileAllNow();
    expect(await convergenceProblems(chaos)).toEqual([]);

    const [shard] = await chaos.dump();
    const other = chaos.pageserver(shard!.intent.attached === 1 ? 2 : 1);
    const put = (id: string, generation: number) =>
      fetch(`${other.baseUrl}/v1/tenant/${id}/location_config`, {
        method: 'PUT',
        body: JSON.stringify({ tenant_id: id, mode: 'AttachedSingle', generation, tenant_conf: {} }),
      });
    const stray = new Prng(4).hexId();
    await put(stray, 1);
    await put(t, shard!.generation);
    const problems = await convergenceProblems(chaos);
    expect(problems).toContainEqual(
      expect.stringMatching(`orphan location: node ${other.nodeId} holds ${stray}`),
    );
    expect(problems).toContainEqual(expect.stringMatching(`shard ${t}: want one AttachedSingle`));
    expect(problems).toContainEqual(
      expect.stringMatching(`orphan location: node ${other.nodeId} holds ${t}`),
    );
    expect(chaos.fleet.safetyViolations()).toEqual([
      `generation ${t}@${shard!.generation} was given to nodes 1, 2`,
      `shard ${t} is AttachedSingle on live nodes 1, 2`,
      `shard ${t} became AttachedSingle on node ${other.nodeId} while live on ${shard!.intent.attached}`,
    ]);
  }, 60_000);
});
