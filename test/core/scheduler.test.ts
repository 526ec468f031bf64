import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newNode } from '../../lambdas/core/model/node';
import type { PlacementPolicy } from '../../lambdas/core/model/placement-policy';
import type { Intent } from '../../lambdas/core/model/tenant-shard';
import {
  countsFromIntents,
  isOverloaded,
  notifyOffline,
  ScheduleError,
  Scheduler,
  type SchedulerNode,
  schedulerNode,
} from '../../lambdas/core/scheduler';

const node = (id: number, load = 0, maySchedule = true): SchedulerNode => ({
  id,
  maySchedule,
  attachedCount: load,
  secondaryCount: 0,
  availabilityZoneId: null,
});
const attached = (n: number): PlacementPolicy => ({ kind: 'Attached', secondaries: n });
const empty: Intent = { attached: null, secondary: [] };

const nodesArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({
          id: fc.constant(id),
          maySchedule: fc.boolean(),
          attachedCount: fc.integer({ min: 0, max: 5 }),
          secondaryCount: fc.integer({ min: 0, max: 5 }),
          availabilityZoneId: fc.constant(null),
        }),
      ),
    ),
  );
const policyArb: fc.Arbitrary<PlacementPolicy> = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map(attached),
  fc.constant<PlacementPolicy>({ kind: 'Secondary' }),
  fc.constant<PlacementPolicy>({ kind: 'Detached' }),
);
function intentArb(ids: number[]): fc.Arbitrary<Intent> {
  return fc
    .shuffledSubarray(ids, { maxLength: Math.min(3, ids.length) })
    .chain((picked) =>
      fc
        .boolean()
        .map((withAttached) =>
          withAttached && picked.length > 0
            ? { attached: picked[0]!, secondary: picked.slice(1) }
            : { attached: null, secondary: picked },
        ),
    );
}
const scenario = nodesArb.chain((nodes) =>
  fc.tuple(fc.constant(nodes), intentArb(nodes.map((n) => n.id)), policyArb),
);

describe('scheduler properties', () => {
  it('never puts two roles of a shard on one node, and only places new roles on schedulable nodes', () => {
    fc.assert(
      fc.property(scenario, ([nodes, intent, policy]) => {
        const scheduler = new Scheduler(nodes);
        let result: Intent;
        try {
          result = scheduler.schedule({ intent, policy, schedulingPolicy: 'Active' }).intent;
        } catch (error) {
          expect(error).toBeInstanceOf(ScheduleError);
          return;
        }
        const all = result.attached === null ? result.secondary : [result.attached, ...result.secondary];
        expect(new Set(all).size).toBe(all.length);
        const before = new Set(
          intent.attached === null ? intent.secondary : [intent.attached, ...intent.secondary],
        );
        for (const n of all) {
          if (!before.has(n)) expect(nodes.find((x) => x.id === n)?.maySchedule).toBe(true);
        }
        if (policy.kind === 'Attached') {
          expect(result.attached).not.toBeNull();
          expect(result.secondary.length).toBe(policy.secondaries);
          if (intent.attached !== null) expect(result.attached).toBe(intent.attached);
          const promotable = intent.secondary.filter((n) => nodes.find((x) => x.id === n)?.maySchedule);
          if (intent.attached === null && promotable.length > 0)
            expect(promotable).toContain(result.attached);
        }
        if (policy.kind === 'Secondary') {
          expect(result.attached).toBeNull();
          expect(result.secondary).toHaveLength(1);
        }
        if (policy.kind === 'Detached') expect(result).toEqual(empty);
      }),
    );
  });

  it('reports load changes equal to the difference of the intents', () => {
    fc.assert(
      fc.property(scenario, ([nodes, intent, policy]) => {
        const scheduler = new Scheduler(nodes);
        let result: Intent;
        try {
          result = scheduler.schedule({ intent, policy, schedulingPolicy: 'Active' }).intent;
        } catch {
          expect(scheduler.deltas().size).toBe(0);
          return;
        }
        const before = countsFromIntents([intent]);
        const after = countsFromIntents([result]);
        const ids = new Set([...before.keys(), ...after.keys()]);
        for (const id of ids) {
          const d = scheduler.deltas().get(id) ?? { attached: 0, secondary: 0 };
          expect(d.attached).toBe((after.get(id)?.attached ?? 0) - (before.get(id)?.attached ?? 0));
          expect(d.secondary).toBe((after.get(id)?.secondary ?? 0) - (before.get(id)?.secondary ?? 0));
        }
      }),
    );
  });

  it('never changes intent while paused or stopped', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.constantFrom('Pause', 'Stop' as const),
        ([nodes, intent, policy], switchValue) => {
          const result = new Scheduler(nodes).schedule({ intent, policy, schedulingPolicy: switchValue });
          expect(result).toEqual({ intent, changed: false });
        },
      ),
    );
  });

  it('spreads fresh shards evenly with ties to the lowest id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), (k, shards) => {
        const scheduler = new Scheduler(Array.from({ length: k }, (_, i) => node(i + 1)));
        const placed = Array.from(
          { length: shards },
          () =>
            scheduler.schedule({ intent: empty, policy: attached(0), schedulingPolicy: 'Active' }).intent
              .attached!,
        );
        const loads = Array.from({ length: k }, (_, i) => placed.filter((p) => p === i + 1).length);
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
        expect(placed[0]).toBe(1);
      }),
    );
  });
});

describe('scheduler examples', () => {
  it('puts 6 tenants x 2 shards on 3 nodes as 4 each', () => {
    const scheduler = new Scheduler([node(1), node(2), node(3)]);
    const placed = Array.from(
      { length: 12 },
      () =>
        scheduler.schedule({ intent: empty, policy: attached(0), schedulingPolicy: 'Active' }).intent
          .attached,
    );
    expect([1, 2, 3].map((id) => placed.filter((p) => p === id).length)).toEqual([4, 4, 4]);
  });

  it('gives nothing to an unschedulable (draining, paused or offline) node', () => {
    const scheduler = new Scheduler([node(1), node(2, 0, false), node(3)]);
    for (let i = 0; i < 10; i++) {
      const { intent } = scheduler.schedule({
        intent: empty,
        policy: attached(1),
        schedulingPolicy: 'Active',
      });
      expect([intent.attached, ...intent.secondary]).not.toContain(2);
    }
  });

  it('puts the secondary of Attached(1) on another node', () => {
    const { intent } = new Scheduler([node(1), node(2)]).schedule({
      intent: empty,
      policy: attached(1),
      schedulingPolicy: 'Active',
    });
    expect(intent).toEqual({ attached: 1, secondary: [2] });
  });

  it('promotes a schedulable secondary when the attached node goes offline', () => {
    const offline = notifyOffline({ attached: 1, secondary: [2] }, 1);
    expect(offline).toEqual({ intent: { attached: null, secondary: [2, 1] }, changed: true });
    const { intent } = new Scheduler([node(1, 0, false), node(2), node(3)]).schedule({
      intent: offline.intent,
      policy: attached(1),
      schedulingPolicy: 'Active',
    });
    expect(intent).toEqual({ attached: 2, secondary: [1] });
    const single = new Scheduler([node(1, 0, false), node(2), node(3)]).schedule({
      intent: notifyOffline({ attached: 1, secondary: [] }, 1).intent,
      policy: attached(0),
      schedulingPolicy: 'Active',
    });
    expect(single.intent).toEqual({ attached: 2, secondary: [] });
  });

  it('names the problem when nothing can be scheduled', () => {
    expect(() =>
      new Scheduler([]).schedule({ intent: empty, policy: attached(0), schedulingPolicy: 'Active' }),
    ).toThrow('No pageservers found');
    expect(() =>
      new Scheduler([node(1, 0, false)]).schedule({
        intent: empty,
        policy: attached(0),
        schedulingPolicy: 'Active',
      }),
    ).toThrow('No pageserver found matching constraint');
  });

  it('keeps the attached location as the secondary when switching to Secondary', () => {
    const { intent } = new Scheduler([node(1), node(2)]).schedule({
      intent: { attached: 2, secondary: [] },
      policy: { kind: 'Secondary' },
      schedulingPolicy: 'Active',
    });
    expect(intent).toEqual({ attached: null, secondary: [2] });
  });
});

describe('scheduler scoring (AZ, affinity, utilization)', () => {
  const AZS = ['az-a', 'az-b', 'az-c'];
  const zonedNodes = fc
    .uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 9 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id) =>
          fc.record({
            id: fc.constant(id),
            maySchedule: fc.boolean(),
            attachedCount: fc.integer({ min: 0, max: 20 }),
            secondaryCount: fc.integer({ min: 0, max: 20 }),
            availabilityZoneId: fc.constantFrom<string | null>(...AZS, null),
            utilizationScore: fc.option(fc.double({ min: 0, max: 3, noNaN: true })),
          }),
        ),
      ),
    );
  const overloaded = (n: SchedulerNode) => (n.utilizationScore ?? 0) >= 2;

  it('attaches in the preferred AZ and puts secondaries outside it whenever a fit node allows', () => {
    fc.assert(
      fc.property(zonedNodes, fc.constantFrom(...AZS), fc.integer({ min: 0, max: 2 }), (nodes, az, n) => {
        let result: Intent;
        try {
          result = new Scheduler(nodes).schedule({
            intent: empty,
            policy: attached(n),
            schedulingPolicy: 'Active',
            preferredAz: az,
          }).intent;
        } catch (error) {
          expect(error).toBeInstanceOf(ScheduleError);
          return;
        }
        const fit = nodes.filter((x) => x.maySchedule && !overloaded(x));
        const at = (id: number) => nodes.find((x) => x.id === id)!;
        if (fit.some((x) => x.availabilityZoneId === az))
          expect(at(result.attached!).availabilityZoneId).toBe(az);
        const outside = fit.filter(
          (x) => x.id !== result.attached && x.availabilityZoneId !== az && x.availabilityZoneId !== null,
        );
        // As many secondaries as fit nodes outside the home AZ allow are outside it.
        const away = result.secondary.filter((s) => {
          const z = at(s).availabilityZoneId;
          return z !== az && z !== null;
        });
        expect(away.length).toBeGreaterThanOrEqual(Math.min(n, outside.length));
      }),
    );
  });

  it("spreads one tenant's shards over nodes that are otherwise alike (anti-affinity)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 16 }), (k, shards) => {
        // The nodes carry other load unevenly: affinity still comes first.
        const scheduler = new Scheduler(Array.from({ length: k }, (_, i) => node(i + 1, i * 3)));
        const affinity = new Map<number, number>();
        const placed = Array.from(
          { length: shards },
          () =>
            scheduler.schedule({ intent: empty, policy: attached(0), schedulingPolicy: 'Active' }, affinity)
              .intent.attached!,
        );
        const perNode = Array.from({ length: k }, (_, i) => placed.filter((p) => p === i + 1).length);
        expect(Math.max(...perNode) - Math.min(...perNode)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('never puts a shard on an overloaded node while a schedulable one is not', () => {
    fc.assert(
      fc.property(
        zonedNodes,
        fc.constantFrom<string | null>(...AZS, null),
        fc.integer({ min: 0, max: 2 }),
        (nodes, az, n) => {
          let result: Intent;
          try {
            result = new Scheduler(nodes).schedule({
              intent: empty,
              policy: attached(n),
              schedulingPolicy: 'Active',
              preferredAz: az,
            }).intent;
          } catch {
            return;
          }
          const chosen = [result.attached!, ...result.secondary];
          const freeLeft = nodes.filter((x) => x.maySchedule && !overloaded(x) && !chosen.includes(x.id));
          for (const id of chosen) {
            if (overloaded(nodes.find((x) => x.id === id)!)) expect(freeLeft).toEqual([]);
          }
        },
      ),
    );
  });
});

describe('utilization from heartbeats', () => {
  const registered = (id: number) => ({
    ...newNode({
      id,
      listenHttpAddr: 'h',
      listenHttpPort: 1,
      listenPgAddr: 'h',
      listenPgPort: 2,
      availabilityZoneId: null,
    }),
    version: 1,
  });
  const heard = (score: number) => ({
    disk_usage_bytes: 0,
    free_space_bytes: 0,
    utilization_score: score,
    captured_at: '2026-12-01T00:00:00Z',
  });

  it('scores a node by the last utilization a heartbeat recorded (parts per million of full)', () => {
    expect(schedulerNode(registered(1)).utilizationScore).toBeNull();
    const full = schedulerNode({ ...registered(1), utilization: heard(2_000_000) });
    expect(full.utilizationScore).toBe(2);
    expect(isOverloaded(full)).toBe(true);
  });

  it('places nothing on a node its heartbeat reports overloaded while another is free', () => {
    const nodes = [
      schedulerNode({ ...registered(1), utilization: heard(2_500_000) }),
      schedulerNode({ ...registered(2), attachedCount: 5, utilization: heard(100_000) }),
    ];
    const scheduler = new Scheduler(nodes);
    const { intent } = scheduler.schedule({
      intent: { attached: null, secondary: [] },
      policy: { kind: 'Attached', secondaries: 0 },
      schedulingPolicy: 'Active',
    });
    expect(intent.attached).toBe(2);
  });
});
