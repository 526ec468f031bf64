// The timeout chain over the synthesized template, for every function a route or a Task state
// invokes: code budget < Lambda Timeout ≤ Timeout + init ≤ Task TimeoutSeconds, and a route's
// Lambda below API Gateway's 30 s. Code budgets come from the same functions the runtimes use.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_GROUPS, type RouteGroup } from '../../lambdas/api/route';
import { routeTimeouts } from '../../lambdas/api/route-budgets';
import { ROUTES } from '../../lambdas/api/route-table';
import type { AnyTask } from '../../lambdas/app/task';
import { LAMBDA } from '../../lambdas/core/aws-limits';
import { chainProblems, HTTP_API_INTEGRATION_TIMEOUT_S, timeoutChain } from '../../lambdas/core/timeouts';
import { TASK_LIST, TASKS } from '../../lambdas/tasks/registry';
import { ControllerTable } from '../../lib/constructs/controller-table';
import { startupTimeoutSeconds } from '../../lib/constructs/deploy-startup';
import { Workflows } from '../../lib/constructs/workflows';
import { stageSettings } from '../../lib/stage';
import { StorageControllerStack } from '../../lib/storage-controller-stack';
import { type AslDefinition, walkStates } from '../../statemachines/asl';

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as Array<[string, Resource]>;
/** The logical id behind `{"Fn::GetAtt": [id, "Arn"]}`. */
const arnOf = (value: unknown) => (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

let template: Template;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(
    new StorageControllerStack(app, 'Test', { settings: stageSettings('staging') }),
  );
}, 120_000);

/** Every function an HTTP API integration invokes, with the route groups whose routes use it. */
function apiFunctions(t: Template): Map<string, Set<RouteGroup>> {
  const groupOf = new Map(ROUTES.map((r) => [`${r.method} ${r.path}`, r.group]));
  const integrations = new Map(resourcesOf(t, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, r]));
  const out = new Map<string, Set<RouteGroup>>();
  for (const [, route] of resourcesOf(t, 'AWS::ApiGatewayV2::Route')) {
    const target = JSON.stringify(route.Properties.Target);
    const [integrationId] = [...integrations.keys()].filter((id) => target.includes(`"${id}"`));
    const fn = arnOf(integrations.get(integrationId!)!.Properties.IntegrationUri);
    const groups = out.get(fn) ?? new Set<RouteGroup>();
    groups.add(groupOf.get(String(route.Properties.RouteKey))!);
    out.set(fn, groups);
  }
  return out;
}

/** Every Task state of every state machine, with the function it invokes and the task it runs. */
function taskStates(t: Template) {
  const functions = new Map(resourcesOf(t, 'AWS::Lambda::Function'));
  return resourcesOf(t, 'AWS::StepFunctions::StateMachine').flatMap(([machine, r]) => {
    const definition = JSON.parse(String(r.Properties.DefinitionString)) as AslDefinition;
    const substitutions = r.Properties.DefinitionSubstitutions as Record<string, unknown>;
    return [...walkStates(definition)]
      .filter(({ state }) => state.Type === 'Task')
      .map(({ path, state, task }) => {
        const fn = functions.get(arnOf(substitutions[task!]))!;
        return {
          where: `${machine}: ${path.join('.')}`,
          timeoutSeconds: state.TimeoutSeconds ?? 0,
          lambdaTimeout: fn.Properties.Timeout as number,
          taskName: (fn.Properties.Environment as { Variables: Record<string, string> }).Variables.TASK_NAME!,
        };
      });
  });
}

function chainOfTaskStates(t: Template, tasks: Readonly<Record<string, AnyTask>>): string[] {
  return taskStates(t).flatMap(({ where, timeoutSeconds, lambdaTimeout, taskName }) =>
    chainProblems({
      invoker: 'task',
      codeBudgetMs: timeoutChain('task', tasks[taskName]!.budgetSeconds).codeBudgetMs,
      lambdaTimeoutSeconds: lambdaTimeout,
      outerTimeoutSeconds: timeoutSeconds,
    }).map((p) => `${where} (${taskName}): ${p}`),
  );
}

describe('the timeout chain in the template', () => {
  it('nests for every Task state: code budget < Lambda Timeout, Lambda Timeout + init ≤ TimeoutSeconds', () => {
    const states = taskStates(template);
    expect(new Set(states.map((s) => s.taskName))).toEqual(new Set(TASK_LIST.map((t) => t.name)));
    expect(chainOfTaskStates(template, TASKS)).toEqual([]);
  });

  it('nests for every task function, invoked or not', () => {
    for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      const name = (fn.Properties.Environment as { Variables?: Record<string, string> } | undefined)
        ?.Variables?.TASK_NAME;
      if (name === undefined) continue;
      const chain = timeoutChain('task', TASKS[name]!.budgetSeconds);
      expect(fn.Properties.Timeout, id).toBe(chain.lambdaTimeoutSeconds);
      expect(chain.codeBudgetMs, id).toBeLessThan((fn.Properties.Timeout as number) * 1000);
    }
  });

  it("keeps every API function below API Gateway's 30 s, its routes' code budget below its Timeout", () => {
    const functions = new Map(resourcesOf(template, 'AWS::Lambda::Function'));
    const api = apiFunctions(template);
    expect(api.size).toBe(ROUTE_GROUPS.length);
    for (const [id, groups] of api) {
      const timeout = functions.get(id)!.Properties.Timeout as number;
      expect(groups.size, id).toBe(1);
      const [group] = [...groups] as [RouteGroup];
      expect(timeout, id).toBeLessThan(HTTP_API_INTEGRATION_TIMEOUT_S);
      const problems = chainProblems({
        invoker: 'api',
        codeBudgetMs: routeTimeouts(group).codeBudgetMs,
        lambdaTimeoutSeconds: timeout,
        outerTimeoutSeconds: HTTP_API_INTEGRATION_TIMEOUT_S,
      });
      expect(problems, id).toEqual([]);
    }
  });
});

describe('every function in the template', () => {
  it("is a task, route or deploy-startup function, and the last outlives the startup workflow within Lambda's 15 min", () => {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const tasks = new Set(taskStates(template).map(({ taskName }) => taskName));
    const api = apiFunctions(template);
    const others = functions.filter(([id, fn]) => {
      const env = (fn.Properties.Environment as { Variables?: Record<string, string> } | undefined)
        ?.Variables;
      return !api.has(id) && !(env?.TASK_NAME && (tasks.has(env.TASK_NAME) || TASKS[env.TASK_NAME]));
    });
    // CDK's own helpers (log retention, bucket notifications) would show up here too: none today.
    expect(others.map(([id]) => id)).toEqual([expect.stringMatching(/^StartupAfterDeploy/)]);
    const timeout = others[0]![1].Properties.Timeout as number;
    expect(timeout).toBeGreaterThan(startupTimeoutSeconds());
    expect(timeout).toBeLessThanOrEqual(LAMBDA.maxTimeoutSeconds);
  });
});

describe('a registry whose budget outgrows a Task state', () => {
  it('is refused at synth, naming the state', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Scratch');
    const settings = stageSettings('staging');
    const store = new ControllerTable(stack, 'Store', settings);
    const tasks = { ...TASKS, MarkReady: { ...TASKS.MarkReady!, budgetSeconds: 40 } };
    expect(() => new Workflows(stack, 'Workflows', { settings, environment: {}, store, tasks })).toThrow(
      /startup-reconcile\.asl\.json: MarkReady \(MarkReady\): TimeoutSeconds 35 is below the Lambda timeout 40 s/,
    );
  });
});
