// Workflow error names are what Retry and Catch match on: a transient pageserver failure must
// surface as Transient (retried), a refusal as PageserverRefused (not retried).
import { describe, expect, it } from 'vitest';
import { PageserverError } from '../../lambdas/core/errors';
import {
  CatchUpTimeoutError,
  LeaseBusyError,
  PageserverRefusedError,
  RejectedError,
  TransientError,
  taskErrorFromPageserver,
  WORKFLOW_ERRORS,
  WorkflowFailure,
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

  it('rebuilds a reported failure with its name and cause', () => {
    const failure = new WorkflowFailure('LeaseBusy', 'tenant busy');
    expect([failure.name, failure.message]).toEqual(['LeaseBusy', 'tenant busy']);
  });
});
