// Workflow executions: list them with the step each reached, describe one step by step, watch one.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDuration, parseWholeNumber } from '../args';
import { action } from '../context';
import { describeExecution, findExecution, followExecution, listExecutions } from '../executions';
import { elapsedMs, formatDuration, formatError } from '../format';
import type { Io, Output } from '../output';
import type { Execution, ExecutionDetail, Step } from '../schemas';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];

function parseStatus(value: string): string {
  const status = value.toUpperCase().replace(/-/g, '_');
  if (!STATUSES.includes(status))
    throw new InvalidArgumentError(`Unknown status '${value}', try ${STATUSES.join(',').toLowerCase()}`);
  return status;
}

/** Offset of a step from the execution's start, e.g. `+1.2s`. */
function offset(e: ExecutionDetail, step: Step): string {
  const ms = elapsedMs(e.startedAt, step.startedAt);
  return ms === null ? '-' : `+${formatDuration(ms)}`;
}

function stepRow(e: ExecutionDetail, step: Step, index: number) {
  const it = step.iterations;
  return [
    index + 1,
    step.name,
    step.type,
    step.status,
    offset(e, step),
    formatDuration(step.durationMs ?? (step.stoppedAt === null ? elapsedMs(step.startedAt, null) : null)),
    step.retries || '',
    it ? `${it.succeeded} ok, ${it.failed} failed of ${it.started}` : '',
    formatError(step.error),
  ];
}

const STEP_HEADER = ['#', 'Step', 'Type', 'Status', 'Start', 'Duration', 'Retries', 'Iterations', 'Error'];

function printExecution(out: Output, e: ExecutionDetail): void {
  if (out.json) return out.printJson(e);
  out.record(
    [
      ['Execution', e.name],
      ['Id', e.id],
      ['Workflow', e.workflow],
      ['Status', e.status],
      ['Started', e.startedAt],
      ['Duration', formatDuration(elapsedMs(e.startedAt, e.stoppedAt))],
      ['Error', formatError(e.error)],
    ],
    e,
  );
  out.text('');
  out.table(
    STEP_HEADER,
    e.steps.map((s, i) => stepRow(e, s, i)),
    e,
  );
}

export function registerWorkflowCommands(program: Command, io: Io): void {
  program
    .command('workflows')
    .description('List recent workflow executions: status, duration and the step each reached')
    .option('--status <status>', 'running, succeeded, failed, aborted or timed_out', parseStatus)
    .option('--workflow <name>', 'only this workflow (e.g. shard-split, migrate)')
    .option('--limit <n>', 'how many (most recent first)', parseWholeNumber, 20)
    .action(
      action<{ status?: string; workflow?: string; limit: number }>(io, async ({ client, out }, o) => {
        let executions: Execution[];
        if (!o.workflow) {
          executions = await listExecutions(client, { status: o.status, limit: o.limit, withStep: true });
        } else {
          // The API filters by status only: filter the recent ones here, then read the steps of
          // those shown (not of every execution fetched).
          const recent = await listExecutions(client, { status: o.status, limit: 1000, withStep: false });
          const chosen = recent.filter((e) => e.workflow === o.workflow).slice(0, o.limit);
          executions = [];
          for (const e of chosen) {
            const last = (await describeExecution(client, e.id)).steps.at(-1);
            executions.push({ ...e, step: last ? { name: last.name, status: last.status } : null });
          }
        }
        out.table(
          ['Execution', 'Workflow', 'Status', 'Started', 'Duration', 'Step'],
          executions.map((e) => [
            e.name,
            e.workflow,
            e.status,
            e.startedAt,
            formatDuration(elapsedMs(e.startedAt, e.stoppedAt)),
            e.step ? `${e.step.name} (${e.step.status})` : '',
          ]),
          executions,
        );
      }),
    );

  program
    .command('workflow-describe')
    .description("Show an execution's steps with durations, retries and the error of a failed step")
    .argument('<id>', 'execution id (ARN or local id) or name')
    .action(
      action(io, async ({ client, out }, _o, args) => {
        printExecution(out, await findExecution(client, args[0]!));
      }),
    );

  program
    .command('workflow-watch')
    .description('Follow an execution live, step by step, until it ends (exit 1 unless it succeeds)')
    .argument('<id>', 'execution id (ARN or local id) or name')
    .option('--interval <duration>', 'how often to look (e.g. 500ms, 2s)', parseDuration, 500)
    .action(
      action<{ interval: number }>(io, async ({ client, out }, o, args) => {
        const first = await findExecution(client, args[0]!);
        out.text(`Watching ${first.workflow} execution ${first.name}`);
        const done = await followExecution(client, io, first.id, first.name, {
          intervalMs: o.interval,
          onStep: (step, i) => {
            const it = step.iterations
              ? ` (${step.iterations.succeeded}/${step.iterations.started} iterations)`
              : '';
            const err = step.error && step.status !== 'succeeded' ? ` — ${formatError(step.error)}` : '';
            out.text(
              `${String(i + 1).padStart(3)}. ${step.name} ${step.status} in ${formatDuration(step.durationMs)}${it}${err}`,
            );
          },
        });
        if (out.json) out.printJson(done);
        else out.text(`${done.status} after ${formatDuration(elapsedMs(done.startedAt, done.stoppedAt))}`);
        if (done.status !== 'SUCCEEDED')
          throw new Error(
            `execution ${done.name} ${done.status}${done.error ? `: ${formatError(done.error)}` : ''}`,
          );
      }),
    );
}
