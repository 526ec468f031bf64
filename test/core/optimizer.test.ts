import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTenantShardId, shardsOfCount } from '../../lambdas/core/ids';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import { newShard, shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import {
  OPTIMIZER_PLAN_LIMIT,
  type Optimization,
  optimizerSkips,
  planOptimizations,
  worseMigrationReason,
} from '../../lambdas/core/optimizer';
import { countsFromIntents, type SchedulerNode } from '../../lambdas/core/scheduler';

const AZS = ['az-a', 'az-b', 'az-c'];

/** Nodes 1..n, node i in AZS[(i-1) % 3]. */
function fleetNodes(n: number, overrides: Partial<SchedulerNode> = {}): SchedulerNode[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    maySchedule: true,
    attachedCount: 0,
    secondaryCount: 0,
    availabilityZoneId: AZS[i % 3]!,
    ...overrides,
  }));
}
const azOf = (nodes: SchedulerNode[], id: number) => nodes.find((n) => n.id === id)!.availabilityZoneId;

/** A settled shard: intent confirmed by every location, in its generation. */
function settled(shard: TenantShard): TenantShard {
  const observed: TenantShard['observed'] = {};
  if (shard.intent.attached !== null)
    observed[String(shard.intent.attached)] = attachedConf(
      shardIdentity(shard),
      shard.config,
      shard.generation,
    );
  for (const n of shard.intent.secondary)
    observed[String(n)] = secondaryConf(shardIdentity(shard), shard.config);
  return { ...shard, generationPageserver: shard.intent.attached, observed };
}

function tenant(
  index: number,
  shardCount: number,
  az: string | null,
  attached: number[],
  secondaries: number[][] = [],
  secondariesWanted = 0,
): TenantShard[] {
  const tenantId = index.toString(16).padStart(32, '0');
  return shardsOfCount(tenantId, shardCount).map((id, i) =>
    settled({
      ...newShard({
        id,
        stripeSize: 128,
        generation: 1,
        policy: { kind: 'Attached', secondaries: secondariesWanted },
        config: {},
        intent: { attached: attached[i]!, secondary: secondaries[i] ?? [] },
        preferredAz: az,
      }),
      version: 1,
    }),
  );
}

/** The node counts an intent set implies (the table keeps them in step with intents). */
function withCounts(nodes: SchedulerNode[], tenants: TenantShard[][]): SchedulerNode[] {
  const counts = countsFromIntents(tenants.flat().map((s) => s.intent));
  return nodes.map((n) => ({
    ...n,
    attachedCount: counts.get(n.id)?.attached ?? 0,
    secondaryCount: counts.get(n.id)?.secondary ?? 0,
  }));
}

/** What the apply step and the workflows it starts make of each step, fault-free. */
function applyIdeal(tenants: TenantShard[][], steps: Optimization[], limit = 16): number {
  let migrations = 0;
  const byId = new Map(tenants.flat().map((s) => [formatTenantShardId(s.id), s]));
  for (const step of steps.slice(0, limit)) {
    const shard = byId.get(step.shard)!;
    if (shard.version !== step.version) continue;
    const { attached, secondary } = shard.intent;
    let intent = shard.intent;
    switch (step.kind) {
      case 'create-secondary':
        intent = { attached, secondary: [...secondary, step.node] };
        break;
      case 'remove-secondary':
        intent = { attached, secondary: secondary.filter((n) => n !== step.node) };
        break;
      case 'replace-secondary':
        intent = { attached, secondary: secondary.map((n) => (n === step.from ? step.to : n)) };
        break;
      case 'migrate': {
        // As beginMigration: the origin stays a secondary if the policy wants any.
        migrations += 1;
        const wanted = shard.policy.kind === 'Attached' ? shard.policy.secondaries : 0;
        const rest = secondary.filter((n) => n !== step.to);
        intent = { attached: step.to, secondary: [attached!, ...rest].slice(0, wanted) };
        break;
      }
    }
    const next = settled({ ...shard, intent, version: shard.version + 1 });
    byId.set(step.shard, next);
    const list = tenants.find((t) => t.includes(shard))!;
    list[list.indexOf(shard)] = next;
  }
  return migrations;
}

/** Passes until a pass plans nothing; the passes and migrations it took. */
function converge(nodes: SchedulerNode[], tenants: TenantShard[][], maxPasses = 200) {
  let migrations = 0;
  for (let pass = 1; pass <= maxPasses; pass++) {
    const steps = planOptimizations(withCounts(nodes, tenants), tenants);
    if (steps.length === 0) return { passes: pass, migrations };
    migrations += applyIdeal(tenants, steps);
  }
  throw new Error(`no convergence in ${maxPasses} passes`);
}

describe('optimizer planner', () => {
  it('brings every attachment home and evens out each AZ, then plans nothing (any start, any load)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            shards: fc.constantFrom(0, 2, 4),
            az: fc.constantFrom(...AZS),
            secondaries: fc.constantFrom(0, 1),
            seed: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 8, maxLength: 8 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        (perAz, specs) => {
          const nodes = fleetNodes(3 * perAz);
          const pick = (s: number) => ((s - 1) % nodes.length) + 1;
          const tenants = specs.map((spec, i) => {
            const count = Math.max(1, spec.shards);
            const attached = spec.seed.slice(0, count).map(pick);
            const secondaries = attached.map((a, j) => {
              const s = pick(spec.seed[(j + 4) % 8]! + 1);
              return spec.secondaries === 0 || s === a ? [] : [s];
            });
            return tenant(i + 1, spec.shards, spec.az, attached, secondaries, spec.secondaries);
          });
          converge(nodes, tenants);
          const settledNodes = withCounts(nodes, tenants);
          for (const shard of tenants.flat()) {
            expect(azOf(nodes, shard.intent.attached!)).toBe(shard.preferredAz);
            for (const s of shard.intent.secondary) expect(s).not.toBe(shard.intent.attached);
          }
          // Within an AZ no two nodes differ by more than one attachment: no move would help.
          for (const az of AZS) {
            const counts = settledNodes
              .filter((n) => n.availabilityZoneId === az)
              .map((n) => n.attachedCount);
            expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
          }
          // And it stays that way.
          expect(planOptimizations(settledNodes, tenants)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('plans the same whatever the nodes reported for utilization (below overload): noise cannot flap', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1.99, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (scores) => {
          const tenants = [tenant(1, 4, 'az-a', [1, 1, 1, 2]), tenant(2, 0, 'az-b', [3])];
          const nodes = withCounts(fleetNodes(6), tenants);
          const noisy = nodes.map((n, i) => ({ ...n, utilizationScore: scores[i]! }));
          expect(planOptimizations(noisy, tenants)).toEqual(planOptimizations(nodes, tenants));
        },
      ),
    );
  });

  it('moves an attachment in steps: a secondary first, the migration once the pageserver has it', () => {
    const nodes = fleetNodes(6); // az-a: 1, 4
    const shards = tenant(1, 0, 'az-a', [2]);
    const [first] = planOptimizations(withCounts(nodes, [shards]), [shards]);
    expect(first).toMatchObject({ kind: 'create-secondary', node: 1, from: 2 });
    // Intended but not yet confirmed there: nothing to do this pass.
    const waiting = { ...shards[0]!, intent: { attached: 2, secondary: [1] }, version: 2 };
    expect(planOptimizations(withCounts(nodes, [[waiting]]), [[waiting]])).toEqual([]);
    const ready = settled(waiting);
    expect(planOptimizations(withCounts(nodes, [[ready]]), [[ready]])).toEqual([
      { kind: 'migrate', shard: formatTenantShardId(ready.id), version: 2, from: 2, to: 1 },
    ]);
  });

  it('leaves alone shards that are splitting, reconciling, detached or not in Active scheduling', () => {
    const nodes = fleetNodes(6);
    const misplaced = () => tenant(1, 0, 'az-a', [2])[0]!;
    const cases: Array<[TenantShard, string]> = [
      [{ ...misplaced(), splitting: true }, 'splitting'],
      [{ ...misplaced(), schedulingPolicy: 'Essential' }, 'scheduling policy Essential'],
      [{ ...misplaced(), schedulingPolicy: 'Pause' }, 'scheduling policy Pause'],
      [{ ...misplaced(), observed: {} }, 'reconciling'],
      [
        {
          ...misplaced(),
          policy: { kind: 'Detached' },
          intent: { attached: null, secondary: [] },
          observed: {},
        },
        'detached',
      ],
    ];
    for (const [shard, why] of cases) {
      expect(optimizerSkips(shard)).toBe(why);
      expect(planOptimizations(withCounts(nodes, [[shard]]), [[shard]])).toEqual([]);
    }
    expect(optimizerSkips(misplaced())).toBeNull();
  });

  it('never moves an attachment onto an overloaded or unschedulable node', () => {
    const tenants = [tenant(1, 0, 'az-a', [2])];
    const nodes = withCounts(fleetNodes(6), tenants).map((n) =>
      n.id === 1 ? { ...n, utilizationScore: 2.5 } : n.id === 4 ? { ...n, maySchedule: false } : n,
    );
    expect(planOptimizations(nodes, tenants)).toEqual([]);
  });

  it('plans at most the limit per pass, spreading them by projected counts', () => {
    const tenants = Array.from({ length: 100 }, (_, i) => tenant(i + 1, 0, 'az-a', [2]));
    const steps = planOptimizations(withCounts(fleetNodes(6), tenants), tenants);
    expect(steps).toHaveLength(OPTIMIZER_PLAN_LIMIT);
    const targets = steps.map((s) => (s.kind === 'create-secondary' ? s.node : 0));
    expect(targets.filter((n) => n === 1).length - targets.filter((n) => n === 4).length).toBeLessThanOrEqual(
      1,
    );
  });

  it('takes about the minimum of migrations to bring shards home after an AZ outage', () => {
    // 3 AZs x 2 nodes; 60 single-shard tenants homed round robin, those of az-c attached in az-a/az-b.
    const nodes = fleetNodes(6);
    const others = [1, 2, 4, 5];
    const tenants = Array.from({ length: 60 }, (_, i) => {
      const az = AZS[i % 3]!;
      const node = az === 'az-c' ? others[i % 4]! : az === 'az-a' ? [1, 4][i % 2]! : [2, 5][i % 2]!;
      return tenant(i + 1, 0, az, [node]);
    });
    const minimum = tenants.flat().filter((s) => azOf(nodes, s.intent.attached!) !== s.preferredAz).length;
    const { migrations } = converge(nodes, tenants);
    expect(minimum).toBe(20);
    expect(migrations).toBeLessThanOrEqual(Math.ceil(minimum * 1.2));
  });
});

describe('worse-scoring migrations', () => {
  const nodes = fleetNodes(3);
  const shard = { intent: { attached: 1, secondary: [] }, preferredAz: 'az-a' };
  it('names a move out of the preferred AZ, or onto an overloaded node', () => {
    expect(worseMigrationReason(shard, nodes[0], nodes[1]!)).toMatch(
      /node 2 is in az-b, outside the shard's preferred AZ az-a/,
    );
    expect(worseMigrationReason(shard, nodes[0], { ...nodes[0]!, id: 7, utilizationScore: 3 })).toMatch(
      /overloaded/,
    );
  });
  it('lets a move home, or any move of a shard without a preference, through', () => {
    expect(
      worseMigrationReason({ ...shard, intent: { attached: 2, secondary: [] } }, nodes[1], nodes[0]!),
    ).toBeNull();
    expect(worseMigrationReason({ ...shard, preferredAz: null }, nodes[0], nodes[1]!)).toBeNull();
  });
});
