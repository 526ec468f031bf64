// Workflow error names are what Retry and Catch match on: a transient pageserver failure must
// surface as Transient (retried), a refusal as PageserverRefused (not retried).
import { describe, expect, it } from 'vitest';
import { PageserverError } from '../../lambdas/core/errors';
import {
  CatchUpTimeoutError,
  failureMessage,
  LeaseBusyError,
  PageserverRefusedError,
  RejectedError,
  TransientError,
  taskErrorFromPageserver,
  WORKFLOW_ERRORS,
} from '../../lambdas/core/workflow-errors';

describe('taskErrorFromPageserver', () => {
  it('maps a transient failure (503, or no answer) to Transient, naming what failed', () => {
    for (const status of [503, null]) {
      const error = taskErrorFromPageserver(new PageserverError('boom', status, true), 'split 0102');
      expect(error).toBeInstanceOf(TransientError);
      expect(error.name).toBe(WORKFLOW_ERRORS.Transient);
      expect(error.message).toBe('split 0102: boom');
    }
  });

  it('maps a refusal to PageserverRefused', () => {
    const error = taskErrorFromPageserver(new PageserverError('no such tenant', 404, false), 'attach');
    expect(error).toBeInstanceOf(PageserverRefusedError);
    expect(error.name).toBe(WORKFLOW_ERRORS.PageserverRefused);
    expect(error.message).toBe('attach: no such tenant');
  });

  it('passes any other error through unchanged', () => {
    const original = new RejectedError('bad');
    expect(taskErrorFromPageserver(original, 'x')).toBe(original);
  });
});

describe('workflow error names', () => {
  it('each error class carries its registered name', () => {
    expect(new TransientError('').name).toBe('Transient');
    expect(new RejectedError('').name).toBe('Rejected');
    expect(new LeaseBusyError('').name).toBe('LeaseBusy');
    expect(new PageserverRefusedError('').name).toBe('PageserverRefused');
    expect(new CatchUpTimeoutError('').name).toBe('CatchUpTimeout');
  });
});

/** The cause Step Functions records for an error a Lambda task threw (the Node runtime's shape). */
function lambdaCause(error: Error): string {
  return JSON.stringify({
    errorType: error.name,
    errorMessage: error.message,
    trace: (error.stack ?? '').split('\n'),
  });
}

describe('failureMessage', () => {
  it("is a Lambda error's message, without its trace", () => {
    const cause = lambdaCause(new PageserverRefusedError('attach on node 2: 409 conflict'));
    expect(cause).toContain('    at ');
    expect(failureMessage(cause)).toBe('attach on node 2: 409 conflict');
  });

  it('unwraps a Lambda error whose message is itself one (re-thrown by another task)', () => {
    const inner = lambdaCause(new LeaseBusyError('tenant busy'));
    expect(failureMessage(lambdaCause(new Error(inner)))).toBe('tenant busy');
  });

  it('keeps a plain cause, up to a stack frame it carries', () => {
    expect(failureMessage('destination did not catch up in time')).toBe(
      'destination did not catch up in time',
    );
    expect(failureMessage('')).toBe('');
    expect(failureMessage('{"some":"json"}')).toBe('{"some":"json"}');
    expect(failureMessage('Error: boom\n    at run (task.ts:1:1)')).toBe('Error: boom');
  });

  it('falls back to the error type when the message is missing', () => {
    expect(failureMessage('{"errorType":"Sandbox.Timedout"}')).toBe('Sandbox.Timedout');
  });
});
