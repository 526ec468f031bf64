// The rules of a node's background operation: which start is refused with which status (D1, D2,
// D8, A10), when a record counts as running, and the policy each outcome leaves.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, PreconditionFailedError, UnavailableError } from '../../lambdas/core/errors';
import {
  NODE_SCHEDULING_POLICIES,
  type NodeSchedulingPolicy,
  type PageserverNode,
} from '../../lambdas/core/model/node';
import {
  checkStart,
  type NodeOperation,
  operationIsLive,
  policyAfter,
  UNSTARTED_CLAIM_MS,
} from '../../lambdas/core/model/node-operation';

const node = (id: number, fields: Partial<PageserverNode> = {}): PageserverNode => ({
  id,
  availability: 'Active',
  scheduling: 'Active',
  listenHttpAddr: 'h',
  listenHttpPort: 1,
  listenPgAddr: 'h',
  listenPgPort: 2,
  availabilityZoneId: null,
  attachedCount: 0,
  secondaryCount: 0,
  version: 1,
  ...fields,
});

const op = (fields: Partial<NodeOperation> = {}): NodeOperation => ({
  kind: 'drain',
  nodeId: 1,
  execution: 'drain-node-1-abcd1234',
  executionId: 'id',
  startedAt: 0,
  cancelled: false,
  previousPolicy: 'Active',
  force: false,
  version: 1,
  ...fields,
});

const status = (f: () => void): number | 'ok' => {
  try {
    f();
    return 'ok';
  } catch (error) {
    if (error instanceof ConflictError) return 409;
    if (error instanceof PreconditionFailedError) return 412;
    if (error instanceof UnavailableError) return 503;
    throw error;
  }
};

describe('checkStart', () => {
  const two = [node(1), node(2)];
  it('starts a drain or fill of an Active node beside another schedulable one', () => {
    expect(status(() => checkStart('drain', two[0]!, two, undefined))).toBe('ok');
    expect(status(() => checkStart('fill', two[0]!, two, undefined))).toBe('ok');
    expect(status(() => checkStart('delete', two[0]!, two, undefined))).toBe('ok');
  });

  it('refuses an unavailable node with 503 (delete excepted)', () => {
    const offline = node(1, { availability: 'Offline' });
    expect(status(() => checkStart('drain', offline, [offline, node(2)], undefined))).toBe(503);
    expect(status(() => checkStart('fill', offline, [offline, node(2)], undefined))).toBe(503);
    expect(status(() => checkStart('delete', offline, [offline, node(2)], undefined))).toBe('ok');
  });

  it('answers 409 for the same running drain or delete, 412 for any other running operation', () => {
    expect(status(() => checkStart('drain', two[0]!, two, op()))).toBe(409);
    expect(status(() => checkStart('delete', two[0]!, two, op({ kind: 'delete' })))).toBe(409);
    expect(status(() => checkStart('fill', two[0]!, two, op({ kind: 'fill' })))).toBe(412);
    expect(status(() => checkStart('drain', two[1]!, two, op()))).toBe(412);
    expect(status(() => checkStart('fill', two[1]!, two, op()))).toBe(412);
  });

  it('refuses with 412 when no other node can take shards (the lone node too: the QUIRK fixed)', () => {
    expect(status(() => checkStart('drain', node(1), [node(1)], undefined))).toBe(412);
    expect(status(() => checkStart('fill', node(1), [node(1)], undefined))).toBe(412);
    const paused = [node(1), node(2, { scheduling: 'Pause' })];
    expect(status(() => checkStart('drain', paused[0]!, paused, undefined))).toBe(412);
  });

  it('needs Active for drain and fill (D8: Pause refuses); resumes its own abandoned policy', () => {
    for (const scheduling of NODE_SCHEDULING_POLICIES) {
      const n = node(1, { scheduling });
      const drain = status(() => checkStart('drain', n, [n, node(2)], undefined));
      const fill = status(() => checkStart('fill', n, [n, node(2)], undefined));
      expect(drain, scheduling).toBe(scheduling === 'Active' || scheduling === 'Draining' ? 'ok' : 412);
      expect(fill, scheduling).toBe(scheduling === 'Active' || scheduling === 'Filling' ? 'ok' : 412);
    }
  });
});

describe('operationIsLive', () => {
  it('follows the execution once started; an unstarted claim lives briefly', () => {
    expect(operationIsLive(op(), 'RUNNING', 0)).toBe(true);
    for (const s of ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT', undefined])
      expect(operationIsLive(op(), s, 0)).toBe(false);
    const unstarted = op({ executionId: null, startedAt: 1_000 });
    expect(operationIsLive(unstarted, undefined, 1_000 + UNSTARTED_CLAIM_MS - 1)).toBe(true);
    expect(operationIsLive(unstarted, undefined, 1_000 + UNSTARTED_CLAIM_MS)).toBe(false);
  });
});

describe('policyAfter', () => {
  it('drained: PauseForRestart; filled: Active; deleted: none; cancelled: Active, or a delete restores a lasting policy', () => {
    expect(policyAfter(op(), 'done')).toBe('PauseForRestart');
    expect(policyAfter(op({ kind: 'fill' }), 'done')).toBe('Active');
    expect(policyAfter(op({ kind: 'delete' }), 'done')).toBeNull();
    fc.assert(
      fc.property(fc.constantFrom(...NODE_SCHEDULING_POLICIES), (previous: NodeSchedulingPolicy) => {
        expect(policyAfter(op({ previousPolicy: previous }), 'cancelled')).toBe('Active');
        const restored = policyAfter(op({ kind: 'delete', previousPolicy: previous }), 'cancelled');
        expect(restored).toBe(['Draining', 'Filling', 'Deleting'].includes(previous) ? 'Active' : previous);
      }),
    );
  });
});
