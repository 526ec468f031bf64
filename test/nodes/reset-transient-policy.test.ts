// D6: re-attach (a pageserver restart) resets PauseForRestart, Draining and Filling to Active;
// Pause and Deleting are kept.
import { beforeEach, describe, expect, it } from 'vitest';
import { NODE_SCHEDULING_POLICIES, type NodeSchedulingPolicy } from '../../lambdas/core/model/node';
import { reAttach } from '../../lambdas/nodes/re-attach';
import { addNodes, type MemoryWorld, memoryWorld } from '../support/memory';

let w: MemoryWorld;
beforeEach(() => {
  w = memoryWorld();
});

const expected: Record<NodeSchedulingPolicy, NodeSchedulingPolicy> = {
  Active: 'Active',
  Filling: 'Active',
  Pause: 'Pause',
  PauseForRestart: 'Active',
  Draining: 'Active',
  Deleting: 'Deleting',
};

describe('re-attach and the node scheduling policy', () => {
  it.each(NODE_SCHEDULING_POLICIES.map((p) => [p, expected[p]]))('%s becomes %s', async (before, after) => {
    await addNodes(w.nodes, [1], { scheduling: before });
    await reAttach(w.context, 1);
    expect((await w.nodes.get(1))!.scheduling).toBe(after);
  });
});
