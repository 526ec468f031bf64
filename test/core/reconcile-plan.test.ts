import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import type { PlacementPolicy } from '../../lambdas/core/model/placement-policy';
import { shardIdentity, type TenantShard } from '../../lambdas/core/model/tenant-shard';
import { isDirty, planReconcile, type ReconcileAction } from '../../lambdas/core/reconcile-plan';

const T = '1f359dd625e519a1a4e8d7509690f6fc';

function shard(overrides: Partial<TenantShard> = {}): TenantShard {
  return {
    id: { tenantId: T, number: 0, count: 2 },
    stripeSize: 32768,
    generation: 0,
    generationPageserver: null,
    policy: { kind: 'Attached', secondaries: 0 } as PlacementPolicy,
    schedulingPolicy: 'Active',
    config: { gc_period: '1h' },
    intent: { attached: 1, secondary: [] },
    observed: {},
    splitting: false,
    pendingComputeNotification: false,
    lastError: null,
    preferredAz: null,
    version: 1,
    ...overrides,
  };
}

const conf = (s: TenantShard, generation = s.generation) =>
  attachedConf(shardIdentity(s), s.config, generation);

/** Applies actions the way a fault-free executor would. */
function applyIdeal(s: TenantShard, actions: ReconcileAction[]): TenantShard {
  let next = { ...s, observed: { ...s.observed } };
  for (const action of actions) {
    if (action.kind === 'attach') {
      next = { ...next, generation: next.generation + 1, generationPageserver: action.node };
      next.observed[String(action.node)] = conf(next);
    } else if (action.kind === 'secondary')
      next.observed[String(action.node)] = secondaryConf(shardIdentity(next), next.config);
    else if (action.kind === 'stale') {
      const held = next.observed[String(action.node)];
      next.observed[String(action.node)] = { ...conf(next, held?.generation ?? 0), mode: 'AttachedStale' };
    } else if (action.kind === 'detach') delete next.observed[String(action.node)];
    else next.pendingComputeNotification = false;
  }
  return next;
}

describe('reconcile planning', () => {
  it('attaches and notifies a new shard', () => {
    expect(planReconcile(shard())).toEqual([{ kind: 'attach', node: 1 }, { kind: 'notify' }]);
  });

  it('does nothing for a converged shard', () => {
    const s = shard({ generation: 1, generationPageserver: 1 });
    const converged = { ...s, observed: { '1': conf(s) } };
    expect(planReconcile(converged)).toEqual([]);
    expect(isDirty(converged)).toBe(false);
  });

  it('moves an attachment: old location stale, new one attached, notify, then detach the old one', () => {
    const s = shard({ generation: 1, generationPageserver: 1, intent: { attached: 2, secondary: [] } });
    expect(planReconcile({ ...s, observed: { '1': conf(s) } })).toEqual([
      { kind: 'stale', node: 1 },
      { kind: 'attach', node: 2 },
      { kind: 'notify' },
      { kind: 'detach', node: 1 },
    ]);
  });

  it('does not demote a location that is already stale, secondary or unknown', () => {
    const s = shard({ generation: 2, generationPageserver: 1, intent: { attached: 2, secondary: [3] } });
    const stale = { ...conf(s, 1), mode: 'AttachedStale' as const };
    const observed = { '1': stale, '3': secondaryConf(shardIdentity(s), s.config), '4': null };
    expect(planReconcile({ ...s, observed }).filter((a) => a.kind === 'stale')).toEqual([]);
  });

  it('adds the secondary of Attached(1)', () => {
    expect(planReconcile(shard({ intent: { attached: 1, secondary: [2] } }))).toEqual([
      { kind: 'attach', node: 1 },
      { kind: 'notify' },
      { kind: 'secondary', node: 2 },
    ]);
  });

  it('detaches everything observed when the policy is Detached', () => {
    const s = shard({ generation: 1, generationPageserver: 1, intent: { attached: null, secondary: [] } });
    expect(planReconcile({ ...s, observed: { '1': conf(s), '3': null } })).toEqual([
      { kind: 'detach', node: 1 },
      { kind: 'detach', node: 3 },
    ]);
  });

  it('only notifies when that is all that is owed', () => {
    const s = shard({ generation: 1, generationPageserver: 1, pendingComputeNotification: true });
    expect(planReconcile({ ...s, observed: { '1': conf(s) } })).toEqual([{ kind: 'notify' }]);
  });

  it('settles a notification still owed once the policy attaches nowhere (Secondary, Detached)', () => {
    const s = shard({ intent: { attached: null, secondary: [2] }, pendingComputeNotification: true });
    const wanted = secondaryConf(shardIdentity(s), s.config);
    expect(planReconcile({ ...s, observed: { '2': wanted } })).toEqual([{ kind: 'notify' }]);
    expect(isDirty({ ...s, observed: { '2': wanted } })).toBe(true);
  });

  it('re-attaches when the location is unknown or the generation went elsewhere', () => {
    const s = shard({ generation: 2, generationPageserver: 1 });
    expect(isDirty({ ...s, observed: { '1': null } })).toBe(true);
    expect(planReconcile({ ...s, observed: { '1': null } })[0]).toEqual({ kind: 'attach', node: 1 });
    const elsewhere = { ...s, generationPageserver: 3, observed: { '1': conf(s) } };
    expect(planReconcile(elsewhere)[0]).toEqual({ kind: 'attach', node: 1 });
  });

  it('re-sends the config when it changed', () => {
    const s = shard({ generation: 1, generationPageserver: 1 });
    const old = { ...s, observed: { '1': conf({ ...s, config: {} }) } };
    expect(planReconcile(old)[0]).toEqual({ kind: 'attach', node: 1 });
  });

  it('plans nothing while splitting or stopped', () => {
    expect(planReconcile(shard({ splitting: true }))).toEqual([]);
    expect(planReconcile(shard({ schedulingPolicy: 'Stop' }))).toEqual([]);
  });

  it('converges: applying the plan leaves nothing to do', () => {
    const node = fc.integer({ min: 1, max: 5 });
    fc.assert(
      fc.property(
        fc.option(node, { nil: null }),
        fc.uniqueArray(node, { maxLength: 3 }),
        fc.dictionary(node.map(String), fc.constantFrom('attached', 'secondary', 'unknown')),
        fc.integer({ min: 0, max: 5 }),
        fc.option(node, { nil: null }),
        fc.boolean(),
        (attached, secondaries, observedKinds, generation, issuedTo, pending) => {
          const secondary = secondaries.filter((n) => n !== attached);
          const base = shard({
            intent: { attached, secondary },
            generation,
            generationPageserver: issuedTo,
            pendingComputeNotification: pending,
          });
          const observed = Object.fromEntries(
            Object.entries(observedKinds).map(([n, kind]) => [
              n,
              kind === 'unknown'
                ? null
                : kind === 'attached'
                  ? conf(base)
                  : secondaryConf(shardIdentity(base), base.config),
            ]),
          );
          const s = { ...base, observed };
          const plan = planReconcile(s);
          // Applied step by step, no attach ever leaves two locations in AttachedSingle.
          const singles = (x: TenantShard) =>
            Object.values(x.observed).filter((c) => c?.mode === 'AttachedSingle').length;
          let partial = s;
          for (const action of plan) {
            partial = applyIdeal(partial, [action]);
            if (action.kind === 'attach') expect(singles(partial)).toBe(1);
          }
          const after = applyIdeal(s, plan);
          expect(
            planReconcile(after).filter((a) => a.kind !== 'notify' || after.intent.attached !== null),
          ).toEqual([]);
          expect(isDirty(after)).toBe(false);
        },
      ),
    );
  });
});
