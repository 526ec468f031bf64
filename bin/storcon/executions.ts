// Workflow executions through the debug API: look one up (by id, or by name among recent ones),
// and follow a running one with a live line until it stops.
import type { ApiClient } from './client';
import { ApiError } from './client';
import { elapsedMs, formatDuration } from './format';
import { type Io, LiveLine } from './output';
import {
  type Execution,
  type ExecutionDetail,
  executionDetailSchema,
  executionSchema,
  parse,
  type Step,
} from './schemas';
import { sleep } from './wait';

export async function describeExecution(client: ApiClient, id: string): Promise<ExecutionDetail> {
  const path = `/debug/v1/workflows/${encodeURIComponent(id)}?history=false`;
  return parse(executionDetailSchema, await client.get(path), `GET ${path}`);
}

export async function listExecutions(
  client: ApiClient,
  query: { status?: string; limit: number; withStep: boolean },
): Promise<Execution[]> {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.status) params.set('status', query.status);
  if (query.withStep) params.set('with_step', 'true');
  const path = `/debug/v1/workflows?${params}`;
  return parse(executionSchema.array(), await client.get(path), `GET ${path}`);
}

/** An execution by id (a local id or an ARN) or, failing that, by its name among the last 1000. */
export async function findExecution(client: ApiClient, idOrName: string): Promise<ExecutionDetail> {
  try {
    return await describeExecution(client, idOrName);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    const recent = await listExecutions(client, { limit: 1000, withStep: false });
    const byName = recent.find((e) => e.name === idOrName);
    if (!byName) throw error;
    return describeExecution(client, byName.id);
  }
}

/** `SplitParents 3/4` for a Map step, the name otherwise. */
export function stepLabel(step: Step): string {
  const it = step.iterations;
  return it ? `${step.name} ${it.succeeded + it.failed}/${it.started}` : step.name;
}

function liveText(label: string, e: ExecutionDetail): string {
  const current = e.steps.at(-1);
  const doing = current ? ` · ${stepLabel(current)} (${current.status})` : '';
  return `${label}: ${e.status}${doing} · step ${e.steps.length} · ${formatDuration(elapsedMs(e.startedAt, e.stoppedAt))}`;
}

/**
 * Polls the execution until it stops, showing its current step; `onStep` sees each step once it
 * has ended (workflow-watch prints them as they finish).
 */
export async function followExecution(
  client: ApiClient,
  io: Io,
  id: string,
  label: string,
  options: { intervalMs?: number; onStep?: (step: Step, index: number) => void } = {},
): Promise<ExecutionDetail> {
  const line = new LiveLine(io);
  let reported = 0;
  for (;;) {
    const e = await describeExecution(client, id);
    const ended =
      e.status === 'RUNNING' ? e.steps.filter((s) => s.stoppedAt !== null).length : e.steps.length;
    // Steps end in order: report each newly ended one.
    if (options.onStep && ended > reported) {
      if (io.tty) io.stderr('\r\x1b[K');
      for (let i = reported; i < ended; i++) options.onStep(e.steps[i]!, i);
      reported = ended;
    }
    if (e.status !== 'RUNNING') {
      line.done(liveText(label, e));
      return e;
    }
    line.update(liveText(label, e));
    await sleep(options.intervalMs ?? 500);
  }
}
