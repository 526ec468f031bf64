// A real HTTP server speaking just enough of two AWS APIs for the deploy-startup tests, with the
// rules that matter kept: Step Functions (JSON 1.0) refuses a reused execution name with
// ExecutionAlreadyExists unless it is still running with the same input, and describes
// executions whose status the test scripts; CloudFormation (query protocol) tells a stack's
// status. It also records the custom resource answers PUT to /response.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubExecution {
  arn: string;
  name: string;
  input: string;
  /** Statuses the next describes return, the last one for ever after. */
  script: Array<{ status: string; error?: string; cause?: string }>;
  describes: number;
}

export interface AwsStub {
  url: string;
  machineArn: string;
  executions: Map<string, StubExecution>;
  /** What every execution started from now on will go through. */
  nextScript: StubExecution['script'];
  stackStatus: string;
  /** Custom resource answers received at `${url}/response`. */
  responses: Array<{ body: Record<string, unknown>; contentType: string | undefined }>;
  /** Step Functions and CloudFormation calls, in order (`StartExecution <name>` and the like). */
  calls: string[];
  close(): Promise<void>;
}

const MACHINE_ARN =
  'arn:aws:states:us-east-1:123456789012:stateMachine:storage-controller-test-startup-reconcile';

export async function startAwsStub(): Promise<AwsStub> {
  const stub: Omit<AwsStub, 'url' | 'close'> = {
    machineArn: MACHINE_ARN,
    executions: new Map(),
    nextScript: [{ status: 'SUCCEEDED' }],
    stackStatus: 'UPDATE_IN_PROGRESS',
    responses: [],
    calls: [],
  };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  };
  const current = (e: StubExecution) => e.script[Math.min(e.describes, e.script.length - 1)]!;

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.method === 'PUT' && req.url?.startsWith('/response')) {
        stub.responses.push({ body: JSON.parse(body), contentType: req.headers['content-type'] });
        res.writeHead(200);
        return res.end();
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target === 'AWSStepFunctions.StartExecution') {
        const { name = '', input = '', stateMachineArn } = JSON.parse(body) as Record<string, string>;
        stub.calls.push(`StartExecution ${name}`);
        if (stateMachineArn !== MACHINE_ARN)
          return json(res, 400, {
            __type: 'StateMachineDoesNotExist',
            message: `no state machine ${stateMachineArn}`,
          });
        const existing = stub.executions.get(name);
        if (existing && !(current(existing).status === 'RUNNING' && existing.input === input))
          return json(res, 400, {
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${existing.arn}'`,
          });
        const arn = `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
        if (!existing)
          stub.executions.set(name, { arn, name, input, script: [...stub.nextScript], describes: 0 });
        return json(res, 200, { executionArn: arn, startDate: Date.now() / 1000 });
      }
      if (target === 'AWSStepFunctions.DescribeExecution') {
        const { executionArn } = JSON.parse(body) as { executionArn: string };
        stub.calls.push(`DescribeExecution ${executionArn.split(':').at(-1)}`);
        const execution = [...stub.executions.values()].find((e) => e.arn === executionArn);
        if (!execution)
          return json(res, 400, { __type: 'ExecutionDoesNotExist', message: 'no such execution' });
        const now = current(execution);
        execution.describes += 1;
        return json(res, 200, {
          executionArn,
          stateMachineArn: MACHINE_ARN,
          name: execution.name,
          status: now.status,
          startDate: Date.now() / 1000,
          input: execution.input,
          ...(now.error ? { error: now.error, cause: now.cause ?? '' } : {}),
        });
      }
      if (new URLSearchParams(body).get('Action') === 'DescribeStacks') {
        stub.calls.push('DescribeStacks');
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>test</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/test/1</StackId><StackStatus>${stub.stackStatus}</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
        );
      }
      json(res, 400, { __type: 'UnknownOperationException', message: target || body.slice(0, 100) });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(stub, {
    url,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as AwsStub;
}
