// GET /debug/v1/workflows/{id} on a long execution: the answer stays within what a Lambda may
// answer (6 MB), leaving out the oldest events and saying how many.
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../../lambdas/api/api-context';
import type { AnyRoute } from '../../lambdas/api/route';
import { executionRoutes } from '../../lambdas/api/routes/execution-routes';
import { LAMBDA } from '../../lambdas/core/aws-limits';
import { memoryWorld } from '../support/memory';

const detail = executionRoutes.find((r) => r.path === '/debug/v1/workflows/{execution_id}') as AnyRoute;

async function get(history: Array<Record<string, unknown>>, query: { history?: string } = {}) {
  const w = memoryWorld();
  const { id } = await w.workflows.start('migrate', 'long', {});
  w.workflows.histories.set(id, history);
  const request = { params: { execution_id: id }, query, body: undefined, headers: {}, requestId: 'r' };
  const reply = await (detail.handler as (r: unknown, s: ApiContext) => ReturnType<AnyRoute['handler']>)(
    { ...request, rawPath: '', rawQueryString: '' },
    w.context as ApiContext,
  );
  return reply.body as { history?: Array<{ id: number }>; history_omitted?: number; steps: unknown[] };
}

const event = (id: number) => ({
  id,
  type: 'TaskStateEntered',
  timestamp: new Date(1_700_000_000_000 + id).toISOString(),
  details: { input: 'x'.repeat(2_000) },
});

describe('GET /debug/v1/workflows/{execution_id}', () => {
  it('gives the whole history when it fits', async () => {
    const body = await get([event(1), event(2)]);
    expect(body.history?.map((e) => e.id)).toEqual([1, 2]);
    expect(body.history_omitted).toBeUndefined();
  });

  it("leaves out a long history's oldest events to stay within a Lambda's answer", async () => {
    const history = Array.from({ length: 4_000 }, (_, i) => event(i + 1));
    expect(Buffer.byteLength(JSON.stringify(history))).toBeGreaterThan(LAMBDA.syncResponseBytes);
    const body = await get(history);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(LAMBDA.syncResponseBytes);
    expect(body.history_omitted).toBeGreaterThan(0);
    expect(body.history!.at(-1)!.id).toBe(4_000);
    expect(body.history!.length + body.history_omitted!).toBe(4_000);
  });

  it('leaves the history out with history=false', async () => {
    const body = await get([event(1)], { history: 'false' });
    expect(body.history).toBeUndefined();
  });
});
