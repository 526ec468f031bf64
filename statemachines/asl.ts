// The ASL files, read one way by everything that reads them: the CDK construct (substitutes task
// function ARNs), the local runner (maps Task states to handlers) and the tests (check them). A Task
// state names its task as a `${TaskName}` placeholder in Resource, which both runtimes substitute.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowName } from '../lambdas/core/ports';

export const STATEMACHINES_DIR = import.meta.dirname;

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}

export interface AslCatcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** The fields the readers use; the rest of a state passes through untouched. */
export interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: AslRetrier[];
  Catch?: AslCatcher[];
  /** Map (current form) */
  ItemProcessor?: AslDefinition;
  /** Map (legacy form) */
  Iterator?: AslDefinition;
  /** Parallel */
  Branches?: AslDefinition[];
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface Workflow {
  name: WorkflowName;
  /** The file as it is, placeholders included (what CDK deploys with its substitutions). */
  text: string;
  /** The file parsed, placeholders still in place. */
  definition: AslDefinition;
  /** Task names used as placeholders, each once, in order of first use. */
  placeholders: string[];
}

/** The error names the States language defines; no task's own error may start with `States.`. */
export const STATES_ERRORS: readonly string[] = [
  'States.ALL',
  'States.BranchFailed',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
];

const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([A-Za-z0-9]+)\}$/;

export function aslPath(workflow: WorkflowName): string {
  return join(STATEMACHINES_DIR, `${workflow}.asl.json`);
}

export function aslText(workflow: WorkflowName): string {
  return readFileSync(aslPath(workflow), 'utf8');
}

export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** The text with every `${Name}` replaced, as CDK's definitionSubstitutions does. */
export function substitutePlaceholders(text: string, replacement: (task: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => replacement(name));
}

export function loadWorkflow(workflow: WorkflowName): Workflow {
  const text = aslText(workflow);
  return {
    name: workflow,
    text,
    definition: JSON.parse(text) as AslDefinition,
    placeholders: placeholders(text),
  };
}

export interface WalkedState {
  /** The state's name: unique within its own States, not necessarily across nested ones. */
  name: string;
  /** State names and the nesting fields that lead to it, e.g. `['Split', 'ItemProcessor', 'One']`. */
  path: string[];
  state: AslState;
  /** For a Task state whose Resource is a placeholder, the task it names. */
  task?: string;
}

/** Every state, depth first, including those nested in Map (ItemProcessor, Iterator) and Parallel. */
export function* walkStates(definition: AslDefinition, path: string[] = []): Generator<WalkedState> {
  for (const [name, state] of Object.entries(definition.States)) {
    const at = [...path, name];
    const task = state.Type === 'Task' ? WHOLE_PLACEHOLDER.exec(state.Resource ?? '')?.[1] : undefined;
    yield task === undefined ? { name, path: at, state } : { name, path: at, state, task };
    if (state.ItemProcessor) yield* walkStates(state.ItemProcessor, [...at, 'ItemProcessor']);
    if (state.Iterator) yield* walkStates(state.Iterator, [...at, 'Iterator']);
    for (const [i, branch] of (state.Branches ?? []).entries())
      yield* walkStates(branch, [...at, `Branches[${i}]`]);
  }
}

/** Every name a state's Retry and Catch match on. */
export function errorNames(state: AslState): string[] {
  return [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((r) => r.ErrorEquals);
}
