// Continue-as-new on in-memory ports: an execution that has made as many moves as its history
// holds hands the operation to a successor, which owns the record and resumes the progress.
import { beforeEach, describe, expect, it } from 'vitest';
import { FIRST_ROUND, MOVES_PER_EXECUTION, MOVES_PER_ROUND } from '../../../lambdas/core/drain-fill-plan';
import { continueOperation } from '../../../lambdas/workflows/drain-fill/continue-operation';
import { planRound } from '../../../lambdas/workflows/drain-fill/plan-round';
import { addNodes, type MemoryWorld, memoryWorld, seedTenant } from '../../support/memory';

let w: MemoryWorld;
beforeEach(async () => {
  w = memoryWorld();
  await addNodes(w.nodes, [1], { scheduling: 'Draining' });
  await addNodes(w.nodes, [2]);
  await seedTenant(w.tenants, { attached: [1] });
  await w.operations.claim({
    kind: 'drain',
    nodeId: 1,
    execution: 'drain-node-1-aaaaaaaa',
    executionId: 'exec-0',
    startedAt: Date.now(),
    cancelled: false,
    previousPolicy: 'Active',
    force: false,
  });
  w.workflows.initialStatus = 'RUNNING';
});

const input = (movedInExecution: number) => ({
  node_id: 1,
  kind: 'drain' as const,
  execution: 'drain-node-1-aaaaaaaa',
  force: false,
  max_lag_bytes: 0,
  progress: { ...FIRST_ROUND, round: 7, moved: 900, movedInExecution },
});

describe('continue-as-new', () => {
  it('plans moves while the history has room, then asks for a successor', async () => {
    const room = await planRound(w.context, input(MOVES_PER_EXECUTION - MOVES_PER_ROUND));
    expect(room.status).toBe('move');
    expect(room.moves).toHaveLength(1);
    const full = await planRound(w.context, input(MOVES_PER_EXECUTION - MOVES_PER_ROUND + 1));
    expect(full.status).toBe('continue');
    expect(full.moves).toEqual([]);
  });

  it('hands the record to a successor that resumes the progress with a fresh history', async () => {
    const { successor } = await continueOperation(w.context, input(MOVES_PER_EXECUTION));
    expect(successor).toMatch(/^drain-node-1-[0-9a-f]{8}$/);
    expect(successor).not.toBe('drain-node-1-aaaaaaaa');
    const [started] = w.workflows.executions;
    expect(started).toMatchObject({ workflow: 'drain-fill', name: successor });
    expect(started!.input).toMatchObject({
      node_id: 1,
      kind: 'drain',
      progress: { round: 7, moved: 900, movedInExecution: 0 },
    });
    expect(await w.operations.get()).toMatchObject({ execution: successor, executionId: started!.id });
    // The predecessor no longer owns the operation: its rounds stop.
    expect((await planRound(w.context, input(0))).status).toBe('superseded');
  });

  it('refuses to continue an operation another execution has taken over', async () => {
    await expect(
      continueOperation(w.context, { ...input(MOVES_PER_EXECUTION), execution: 'drain-node-1-bbbbbbbb' }),
    ).rejects.toThrow(/taken over/);
    expect(w.workflows.executions).toEqual([]);
  });
});
