// Continue-as-new: an operation that has made as many moves as one execution's history holds
// (Step Functions' 25,000 events) hands over to a fresh execution of the same kind, with its
// progress. The record names the successor before it starts, so the successor's first round
// finds itself the owner; if the start fails, the record is abandoned and a new operation or a
// cancel resolves it.
import type { AppContext } from '../../app/context';
import type { RoundProgress } from '../../core/drain-fill-plan';
import { VersionConflictError } from '../../core/errors';
import { RejectedError } from '../../core/workflow-errors';
import { operationExecutionName } from './operation-record';
import { type DrainFillInput, recordExecution } from './start-operation';

export async function continueOperation(
  context: AppContext,
  input: Pick<DrainFillInput, 'node_id' | 'kind' | 'force' | 'max_lag_bytes'> & {
    execution: string;
    progress: RoundProgress;
  },
): Promise<{ successor: string }> {
  const successor = operationExecutionName(input.kind, input.node_id);
  for (let attempt = 1; ; attempt++) {
    const op = await context.operations.get();
    if (op?.execution !== input.execution)
      throw new RejectedError(`operation of ${input.execution} was taken over`);
    try {
      // A cancel flagged meanwhile carries over: the successor ends at its first round.
      await context.operations.update(op, { execution: successor, executionId: null, startedAt: Date.now() });
      break;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 20) throw error;
    }
  }
  const { id } = await context.workflows.start('drain-fill', successor, {
    node_id: input.node_id,
    kind: input.kind,
    force: input.force,
    max_lag_bytes: input.max_lag_bytes,
    progress: { ...input.progress, movedInExecution: 0 },
  });
  await recordExecution(context, successor, id);
  context.log.info('node operation continues', { execution: input.execution, successor });
  return { successor };
}
