// Starting a drain, fill or graceful delete: the preconditions (core/model/node-operation.ts),
// the claim of the cluster's one operation record, the node's policy, then the execution. A
// failure before the execution starts undoes the claim and the policy.
import type { AppContext } from '../../app/context';
import { DEFAULT_MAX_SECONDARY_LAG_BYTES } from '../../core/drain-fill-plan';
import { NotFoundError, PreconditionFailedError, VersionConflictError } from '../../core/errors';
import {
  checkStart,
  type NodeOperation,
  type NodeOperationKind,
  OPERATION_POLICY,
} from '../../core/model/node-operation';
import {
  isLive,
  operationExecutionName,
  releaseOperation,
  restorePolicy,
  swapPolicy,
} from './operation-record';

export interface DrainFillInput {
  node_id: number;
  kind: NodeOperationKind;
  force: boolean;
  max_lag_bytes: number;
  [field: string]: unknown;
}

export async function startNodeOperation(
  context: AppContext,
  nodeId: number,
  kind: NodeOperationKind,
  options: { force?: boolean } = {},
): Promise<{ executionId: string }> {
  const nodes = await context.nodes.list();
  const node = nodes.find((n) => n.id === nodeId);
  if (!node) throw new NotFoundError('Node not registered');
  const current = await context.operations.get();
  const live = current && (await isLive(context, current)) ? current : undefined;
  checkStart(kind, node, nodes, live);
  // An abandoned operation (its execution gone with a controller restart) is taken over.
  const abandoned = live ? undefined : current;
  const resumed = abandoned?.nodeId === nodeId && abandoned.kind === kind;
  const name = operationExecutionName(kind, nodeId);
  const claim: Omit<NodeOperation, 'version'> = {
    kind,
    nodeId,
    execution: name,
    executionId: null,
    startedAt: Date.now(),
    cancelled: false,
    previousPolicy: resumed ? abandoned.previousPolicy : node.scheduling,
    force: options.force ?? false,
  };
  let op: NodeOperation;
  try {
    op = await context.operations.claim(claim, abandoned);
  } catch (error) {
    if (error instanceof VersionConflictError)
      throw new PreconditionFailedError('Another background operation started meanwhile');
    throw error;
  }
  try {
    // Another node left in an abandoned operation's policy gets its policy back.
    if (abandoned && !resumed) await restorePolicy(context, abandoned, 'cancelled');
    if (!(await swapPolicy(context, nodeId, null, OPERATION_POLICY[kind])))
      throw new NotFoundError('Node not registered');
    const input: DrainFillInput = {
      node_id: nodeId,
      kind,
      force: op.force,
      max_lag_bytes: context.maxSecondaryLagBytes ?? DEFAULT_MAX_SECONDARY_LAG_BYTES,
    };
    const { id } = await context.workflows.start('drain-fill', name, input);
    await recordExecution(context, name, id);
    return { executionId: id };
  } catch (error) {
    await restorePolicy(context, op, 'cancelled').catch(() => undefined);
    await releaseOperation(context, name).catch(() => undefined);
    throw error;
  }
}

/** The execution's id on the record (a cancel may have flagged it in the meantime). */
export async function recordExecution(context: AppContext, name: string, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const op = await context.operations.get();
    if (op?.execution !== name) return;
    try {
      await context.operations.update(op, { executionId: id });
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 20) throw error;
    }
  }
}
