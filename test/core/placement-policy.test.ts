import { describe, expect, it } from 'vitest';
import { isPinned, schedulingAfter } from '../../lambdas/core/model/placement-policy';

describe('the scheduling switch after a policy change', () => {
  it('Detached or Secondary placement lifts a Pause or Stop, unless the switch is set too', () => {
    for (const current of ['Pause', 'Stop'] as const) {
      expect(schedulingAfter(current, { policy: { kind: 'Detached' } })).toBe('Active');
      expect(schedulingAfter(current, { policy: { kind: 'Secondary' } })).toBe('Active');
      expect(schedulingAfter(current, { policy: { kind: 'Attached', secondaries: 1 } })).toBe(current);
      expect(schedulingAfter(current, { policy: { kind: 'Detached' }, schedulingPolicy: 'Stop' })).toBe(
        'Stop',
      );
      expect(schedulingAfter(current, {})).toBe(current);
    }
    expect(schedulingAfter('Essential', { policy: { kind: 'Detached' } })).toBe('Essential');
    expect(schedulingAfter('Active', { schedulingPolicy: 'Pause' })).toBe('Pause');
  });

  it('only Pause and Stop pin a shard', () => {
    expect(['Active', 'Essential', 'Pause', 'Stop'].filter((p) => isPinned(p as never))).toEqual([
      'Pause',
      'Stop',
    ]);
  });
});
