// The operator's view of workflow executions (/debug/v1/workflows): recent ones with the step each
// reached, and one with its steps (durations, retries, errors) and its raw event history.
import * as z from 'zod';
import { LAMBDA } from '../../core/aws-limits';
import { mapLimited } from '../../core/concurrency';
import { NotFoundError } from '../../core/errors';
import { executionSteps, stepReached } from '../../core/execution-steps';
import { newestWithin } from '../../core/fit-payload';
import { workflowDetailOut, workflowListItemOut } from '../response-schemas';
import { json } from '../responses';
import { defineRoute, ok } from '../route';
import { limitParam } from '../schemas';

/** History reads one list request makes at once (GetExecutionHistory is throttled per account). */
const HISTORY_READS_AT_ONCE = 4;

export const executionRoutes = [
  defineRoute({
    method: 'GET',
    path: '/debug/v1/workflows',
    group: 'debug',
    scope: 'admin',
    summary:
      'Recent workflow executions (?status=RUNNING|SUCCEEDED|FAILED|ABORTED|TIMED_OUT&limit=&with_step=true).',
    query: z
      .object({
        status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']).optional(),
        limit: limitParam.optional(),
        // The step each execution reached costs a history read per execution: asked for, not given.
        with_step: z.enum(['true', 'false']).optional(),
      })
      .strict(),
    responses: { 200: json(z.array(workflowListItemOut), 'Executions, most recent first.') },
    handler: async ({ query }, services) => {
      const executions = await services.workflows.list({ status: query.status, limit: query.limit ?? 50 });
      if (query.with_step !== 'true') return ok(executions);
      const withSteps = await mapLimited(executions, HISTORY_READS_AT_ONCE, async (execution) => {
        const history = await services.workflows.history(execution.id);
        return { ...execution, step: stepReached(executionSteps(history, execution.status === 'RUNNING')) };
      });
      return ok(withSteps);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/debug/v1/workflows/{execution_id}',
    group: 'debug',
    scope: 'admin',
    summary:
      'One execution with its top-level steps (durations, errors) and its event history (?history=false: without).',
    params: z.object({ execution_id: z.string().min(1).max(2048) }),
    // A long execution's history can pass the 6 MB a Lambda may answer: watchers leave it out,
    // and otherwise its oldest events are (history_omitted counts them).
    query: z.object({ history: z.enum(['true', 'false']).optional() }).strict(),
    responses: { 200: json(workflowDetailOut, 'The execution, its steps and its event history.') },
    handler: async ({ params, query }, services) => {
      const execution = await services.workflows.describe(params.execution_id);
      if (!execution) throw new NotFoundError(`Execution ${params.execution_id} not found`);
      const history = await services.workflows.history(params.execution_id);
      const steps = executionSteps(history, execution.status === 'RUNNING');
      if (query.history === 'false') return ok({ ...execution, steps });
      // What a Lambda may answer, less the rest of the answer and room for the envelope.
      const budget =
        LAMBDA.syncResponseBytes - Buffer.byteLength(JSON.stringify({ execution, steps })) - 64 * 1024;
      const { kept, omitted } = newestWithin(history, budget);
      return ok({ ...execution, steps, history: kept, ...(omitted > 0 ? { history_omitted: omitted } : {}) });
    },
  }),
];
