// The deploy's startup custom resource over the real startup-reconcile (ASL file, tasks, DynamoDB
// Local, a simulated pageserver): three deploys in a row each answer SUCCESS and leave the service
// ready; a startup that fails answers FAILED (the deploy fails).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AfterDeployDeps,
  type CustomResourceEvent,
  startupAfterDeploy,
} from '../../../lambdas/workflows/startup/after-deploy';
import { startTestApi, type TestApi } from '../../support/api-stack';
import { taskHooks } from '../../support/task-hooks';

const tasks = taskHooks();
let api: TestApi;
afterEach(async () => {
  tasks.reset();
  await api?.stop();
});

function update(): CustomResourceEvent {
  return {
    RequestType: 'Update',
    RequestId: randomUUID(),
    ResponseURL: 'https://cloudformation-response.example/signed',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/test/1',
    LogicalResourceId: 'StartupAfterDeployRun',
    PhysicalResourceId: 'startup-after-deploy',
  };
}

function deps(): AfterDeployDeps {
  return {
    workflows: api.stack.services.workflows,
    executionId: () => {
      throw new Error('the local runner returns the execution it already has');
    },
    stackStatus: async () => 'UPDATE_IN_PROGRESS',
    deadline: Date.now() + 60_000,
  };
}

describe('startup after deploy, on the local stack', () => {
  it('answers SUCCESS for each of three deploys in a row, each leaving /ready 200', async () => {
    api = await startTestApi({ pageservers: 1, workflowOptions: { wrapTask: tasks.wrapTask } });
    for (let deploy = 1; deploy <= 3; deploy++) {
      const request = update();
      const answer = await startupAfterDeploy(request, deps());
      expect(answer.Status, `deploy ${deploy}`).toBe('SUCCESS');
      expect(await api.stack.services.meta.get()).toMatchObject({
        startupEpoch: `deploy-${request.RequestId}`,
        readyEpoch: `deploy-${request.RequestId}`,
      });
      expect((await api.call('GET', '/ready')).status, `deploy ${deploy}`).toBe(200);
    }
  });

  it('answers FAILED when startup-reconcile fails', async () => {
    api = await startTestApi({
      pageservers: 0,
      workflowOptions: { wrapTask: tasks.wrapTask, retryIntervalMs: 1 },
    });
    tasks.hooks.MarkReady = async () => {
      throw Object.assign(new Error('table unavailable'), { name: 'StoreUnavailable' });
    };
    const answer = await startupAfterDeploy(update(), deps());
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/FAILED: StoreUnavailable/);
  });
});
