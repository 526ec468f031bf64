// The last step of a node operation, on in-memory ports: a cancel acknowledged after the last
// round still wins (a graceful delete does not remove the node; a drain does not leave it paused).
import { beforeEach, describe, expect, it } from 'vitest';
import type { NodeOperationKind } from '../../../lambdas/core/model/node-operation';
import { endOperation } from '../../../lambdas/workflows/drain-fill/end-operation';
import { removeDrainedNode } from '../../../lambdas/workflows/drain-fill/remove-node';
import { addNodes, type MemoryWorld, memoryWorld } from '../../support/memory';

let w: MemoryWorld;
const execution = 'node-delete-node-1-aaaaaaaa';

async function claim(kind: NodeOperationKind, cancelled: boolean) {
  await w.operations.claim({
    kind,
    nodeId: 1,
    execution,
    executionId: 'exec-0',
    startedAt: Date.now(),
    cancelled,
    previousPolicy: 'Active',
    force: false,
  });
}

beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1], { scheduling: 'Deleting' });
  await addNodes(w.nodes, [2]);
});

describe('endOperation', () => {
  it('removes a gracefully deleted node when nobody cancelled', async () => {
    await claim('delete', false);
    expect(await endOperation(w.context, { execution, outcome: 'done' })).toEqual({ ended: true });
    expect(await w.nodes.get(1)).toBeUndefined();
    expect(await w.operations.get()).toBeUndefined();
  });

  it('keeps the node, policy restored, when the cancel came after the last round', async () => {
    await claim('delete', true);
    expect(await endOperation(w.context, { execution, outcome: 'done' })).toEqual({ ended: true });
    expect((await w.nodes.get(1))?.scheduling).toBe('Active');
    expect(await w.operations.get()).toBeUndefined();
  });

  it('returns a cancelled drain to Active rather than PauseForRestart', async () => {
    await w.nodes.update(1, (await w.nodes.get(1))!.version, { scheduling: 'Draining' });
    await claim('drain', true);
    await endOperation(w.context, { execution, outcome: 'done' });
    expect((await w.nodes.get(1))?.scheduling).toBe('Active');
  });

  it('does not take the last step when a cancel came while the shards moved', async () => {
    expect(await removeDrainedNode(w.context, 1, execution, async () => false)).toBe(false);
    expect(await w.nodes.get(1)).toBeDefined();
    expect(await removeDrainedNode(w.context, 1, execution)).toBe(true);
    expect(await w.nodes.get(1)).toBeUndefined();
  });
});
