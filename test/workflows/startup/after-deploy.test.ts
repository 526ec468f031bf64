// The deploy's startup custom resource (issue 13, defect 4), against a real HTTP stub of Step
// Functions and CloudFormation through the real SDK clients: start → poll → answer; a failed
// startup fails the deploy; Delete does nothing; a replayed request finds its own execution; a
// rollback is never stopped; the handler answers at the ResponseURL.
import { randomUUID } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendCustomResourceResponse, stackStatusReader } from '../../../lambdas/adapters/cloudformation';
import { SfnWorkflowStarter } from '../../../lambdas/adapters/sfn-workflow-starter';
import {
  type AfterDeployDeps,
  type CustomResourceEvent,
  PHYSICAL_RESOURCE_ID,
  startupAfterDeploy,
  startupExecutionName,
} from '../../../lambdas/workflows/startup/after-deploy';
import { type AwsStub, startAwsStub } from '../../support/aws-stub';

let stub: AwsStub;
let sfn: SFNClient;
let cfn: CloudFormationClient;
beforeAll(async () => {
  stub = await startAwsStub();
  const client = {
    region: 'us-east-1',
    endpoint: stub.url,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  };
  sfn = new SFNClient({ ...client, maxAttempts: 1 });
  cfn = new CloudFormationClient({ ...client, maxAttempts: 1 });
});
afterAll(async () => {
  sfn.destroy();
  cfn.destroy();
  await stub.close();
});
beforeEach(() => {
  stub.executions.clear();
  stub.calls.length = 0;
  stub.responses.length = 0;
  stub.stackStatus = 'UPDATE_IN_PROGRESS';
  stub.nextScript = [{ status: 'SUCCEEDED' }];
});

function event(type: CustomResourceEvent['RequestType'], requestId = randomUUID()): CustomResourceEvent {
  return {
    RequestType: type,
    RequestId: requestId,
    ResponseURL: `${stub.url}/response?signed=1`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/test/1',
    LogicalResourceId: 'StartupAfterDeployRun',
    ...(type === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_RESOURCE_ID }),
  };
}

function deps(overrides: Partial<AfterDeployDeps> = {}): AfterDeployDeps {
  return {
    workflows: new SfnWorkflowStarter({ 'startup-reconcile': stub.machineArn } as never, sfn),
    executionId: (name) => `${stub.machineArn.replace(':stateMachine:', ':execution:')}:${name}`,
    stackStatus: stackStatusReader(cfn),
    deadline: Number.MAX_SAFE_INTEGER,
    sleep: async () => undefined,
    ...overrides,
  };
}

describe('startup after deploy', () => {
  it('starts startup-reconcile named after the request, waits for it, and answers SUCCESS', async () => {
    stub.nextScript = [{ status: 'RUNNING' }, { status: 'RUNNING' }, { status: 'SUCCEEDED' }];
    const e = event('Create');
    const answer = await startupAfterDeploy(e, deps());
    const name = `startup-deploy-${e.RequestId}`;
    expect(answer).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      StackId: e.StackId,
      RequestId: e.RequestId,
      LogicalResourceId: e.LogicalResourceId,
      Data: { ExecutionArn: stub.executions.get(name)!.arn },
    });
    expect(JSON.parse(stub.executions.get(name)!.input)).toEqual({ epoch: `deploy-${e.RequestId}` });
    expect(stub.calls.filter((c) => c.startsWith('DescribeExecution'))).toHaveLength(3);
  });

  it('answers FAILED with the execution’s error when startup fails, so the deploy fails', async () => {
    stub.nextScript = [
      { status: 'RUNNING' },
      { status: 'FAILED', error: 'States.Timeout', cause: 'ListNodes' },
    ];
    const answer = await startupAfterDeploy(event('Update'), deps());
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toBe(PHYSICAL_RESOURCE_ID);
    expect(answer.Reason).toMatch(
      /^startup reconciliation startup-deploy-[0-9a-f-]+ FAILED: States\.Timeout ListNodes$/,
    );
  });

  it('answers FAILED when startup is still running at its deadline, and when it cannot start', async () => {
    stub.nextScript = [{ status: 'RUNNING' }];
    const late = await startupAfterDeploy(event('Update'), deps({ deadline: 0 }));
    expect(late).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/still running/) });
    const refused = await startupAfterDeploy(
      event('Create'),
      deps({ workflows: new SfnWorkflowStarter({} as never, sfn) }),
    );
    expect(refused.Status).toBe('FAILED');
    expect(refused.Reason).toMatch(/^startup reconciliation startup-deploy-.*: StateMachineDoesNotExist: /);
  });

  it('does nothing on Delete', async () => {
    const answer = await startupAfterDeploy(event('Delete'), deps());
    expect(answer.Status).toBe('SUCCESS');
    expect(stub.calls).toEqual([]);
  });

  it('finds its own finished execution when a request is replayed (no ExecutionAlreadyExists failure)', async () => {
    const e = event('Update');
    const first = await startupAfterDeploy(e, deps());
    const again = await startupAfterDeploy(e, deps());
    expect(again).toEqual(first);
    expect(again.Status).toBe('SUCCESS');
    expect(stub.executions.size).toBe(1);
    expect(stub.calls.filter((c) => c.startsWith('StartExecution'))).toHaveLength(2);
    // The same when the starter reports the reused name as an error rather than returning the execution.
    const throwing = deps();
    throwing.workflows = {
      describe: throwing.workflows.describe.bind(throwing.workflows),
      start: async () => {
        throw Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
      },
    };
    expect(await startupAfterDeploy(e, throwing)).toEqual(first);
  });

  it('never stops a rollback: starts the old startup and answers SUCCESS without waiting', async () => {
    stub.stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    stub.nextScript = [{ status: 'FAILED', error: 'Boom' }];
    const answer = await startupAfterDeploy(event('Update'), deps());
    expect(answer.Status).toBe('SUCCESS');
    expect(stub.calls.filter((c) => c.startsWith('DescribeExecution'))).toEqual([]);
    const unstartable = await startupAfterDeploy(
      event('Update'),
      deps({ workflows: new SfnWorkflowStarter({} as never, sfn) }),
    );
    expect(unstartable.Status).toBe('SUCCESS');
  });

  it('names executions within Step Functions’ rules (≤ 80 chars of [A-Za-z0-9-_])', () => {
    const id = randomUUID();
    expect(startupExecutionName(id)).toBe(`startup-deploy-${id}`);
    for (const odd of [id.repeat(4), 'a b/c:d*e']) {
      expect(startupExecutionName(odd)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(startupExecutionName(odd)).toBe(startupExecutionName(odd));
    }
  });

  it('answers CloudFormation with a PUT of the response, content type empty (as the URL is signed)', async () => {
    await sendCustomResourceResponse(`${stub.url}/response?x=1`, { Status: 'SUCCESS', RequestId: 'r' });
    expect(stub.responses).toEqual([{ body: { Status: 'SUCCESS', RequestId: 'r' }, contentType: '' }]);
    await expect(
      sendCustomResourceResponse('http://127.0.0.1:1/response', {}, { attempts: 2, pauseMs: 1 }),
    ).rejects.toThrow();
  });
});

describe('the Lambda handler', () => {
  it('answers each request at its ResponseURL, and ignores what is not a custom resource request', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      STATE_MACHINES: JSON.stringify({ 'startup-reconcile': stub.machineArn }),
      AWS_ENDPOINT_URL_SFN: stub.url,
      AWS_ENDPOINT_URL_CLOUDFORMATION: stub.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
    });
    try {
      const { handler } = await import('../../../lambdas/handlers/startup-after-deploy');
      const context = { getRemainingTimeInMillis: () => 60_000 };
      await handler(event('Create'), context);
      await handler(event('Delete'), context);
      await handler({ RequestType: 'Create' }, context);
      expect(stub.responses.map((r) => r.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(stub.executions.size).toBe(1);
      expect(stub.calls).toContain('DescribeStacks');
    } finally {
      process.env = saved;
    }
  });
});
