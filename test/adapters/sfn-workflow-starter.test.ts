// The Step Functions adapter passes StartExecution's answers on as the port states them: a name in
// use is ExecutionAlreadyExistsError (never the old execution passed off as a new start, defect 6),
// a refused name is InvalidExecutionNameError. Step Functions is not at hand here: a stand-in
// client answers as the service does, with the SDK's own exception classes.
import {
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidName,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { SfnWorkflowStarter } from '../../lambdas/adapters/sfn-workflow-starter';
import { ExecutionAlreadyExistsError, InvalidExecutionNameError } from '../../lambdas/core/execution-errors';
import { WORKFLOWS, type WorkflowName } from '../../lambdas/core/ports';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:migrate';
const machines = Object.fromEntries(WORKFLOWS.map((w) => [w, ARN.replace('migrate', w)])) as Record<
  WorkflowName,
  string
>;

function starter(answer: (input: StartExecutionCommand['input']) => unknown) {
  const sent: Array<StartExecutionCommand['input']> = [];
  const client = {
    send: async (command: StartExecutionCommand) => {
      expect(command).toBeInstanceOf(StartExecutionCommand);
      sent.push(command.input);
      return answer(command.input);
    },
  } as unknown as SFNClient;
  return { workflows: new SfnWorkflowStarter(machines, client), sent };
}

describe('SfnWorkflowStarter.start', () => {
  it('returns the execution Step Functions started (or found running with the same input)', async () => {
    const { workflows, sent } = starter((input) => ({ executionArn: `${input.stateMachineArn}:x` }));
    expect(await workflows.start('migrate', 'evacuate-t-2-1a2b3c4d', { a: 1 })).toEqual({ id: `${ARN}:x` });
    expect(sent).toEqual([{ stateMachineArn: ARN, name: 'evacuate-t-2-1a2b3c4d', input: '{"a":1}' }]);
  });

  it('throws ExecutionAlreadyExistsError naming the existing execution instead of returning it', async () => {
    const { workflows } = starter(() => {
      throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
    });
    const start = workflows.start('migrate', 'evacuate-t-2', {});
    await expect(start).rejects.toThrow(ExecutionAlreadyExistsError);
    await expect(start).rejects.toMatchObject({
      executionId: 'arn:aws:states:us-east-1:123456789012:execution:migrate:evacuate-t-2',
    });
  });

  it('passes the name as given (no silent truncation) and maps InvalidName', async () => {
    const long = 'x'.repeat(90);
    const { workflows, sent } = starter(() => {
      throw new InvalidName({ message: 'Invalid Name', $metadata: {} });
    });
    await expect(workflows.start('migrate', long, {})).rejects.toThrow(InvalidExecutionNameError);
    expect(sent[0]?.name).toBe(long);
  });
});

describe('SfnWorkflowStarter.history', () => {
  it('reads every page of a long history, not only the first 1000 events', async () => {
    const pages = [
      { events: [{ id: 1, type: 'ExecutionStarted' }], nextToken: 'p2' },
      { events: [{ id: 2, type: 'TaskStateEntered' }], nextToken: 'p3' },
      { events: [{ id: 3, type: 'ExecutionSucceeded' }] },
    ];
    const tokens: Array<string | undefined> = [];
    const client = {
      send: async (command: GetExecutionHistoryCommand) => {
        expect(command).toBeInstanceOf(GetExecutionHistoryCommand);
        tokens.push(command.input.nextToken);
        return pages[tokens.length - 1];
      },
    } as unknown as SFNClient;
    const events = await new SfnWorkflowStarter(machines, client).history(`${ARN}:x`);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(tokens).toEqual([undefined, 'p2', 'p3']);
  });
});
