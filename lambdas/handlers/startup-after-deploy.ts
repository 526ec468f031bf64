// Lambda entry point of the StartupAfterDeploy custom resource: wiring only (the logic is in
// workflows/startup/after-deploy.ts). CloudFormation invokes it asynchronously and waits for the
// answer at ResponseURL, so every path that can answer does.
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { sendCustomResourceResponse, stackStatusReader } from '../adapters/cloudformation';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import type { WorkflowName } from '../core/ports';
import { customResourceEvent, startupAfterDeploy } from '../workflows/startup/after-deploy';
import { logger } from './powertools-logger';

/** Time kept back from the function's deadline to send the answer. */
const ANSWER_MARGIN_MS = 15_000;

const machines = z.record(z.string(), z.string()).parse(JSON.parse(process.env.STATE_MACHINES ?? '{}'));
const startupArn = machines['startup-reconcile'] ?? '';
const workflows = new SfnWorkflowStarter(machines as Record<WorkflowName, string>, new SFNClient({}));
const stackStatus = stackStatusReader();

export const handler = async (raw: unknown, context: { getRemainingTimeInMillis(): number }) => {
  const parsed = customResourceEvent.safeParse(raw);
  if (!parsed.success) {
    // Without a valid request there is no one to answer; CloudFormation gives up at ServiceTimeout.
    logger.error('not a custom resource request', {
      issues: parsed.error.issues.map((i) => i.path.join('.')),
    });
    return;
  }
  const event = parsed.data;
  const response = await startupAfterDeploy(event, {
    workflows,
    executionId: (name) => `${startupArn.replace(':stateMachine:', ':execution:')}:${name}`,
    stackStatus,
    deadline: Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
  });
  logger.info('startup after deploy', {
    requestType: event.RequestType,
    status: response.Status,
    reason: response.Reason,
    execution: response.Data?.ExecutionArn,
  });
  await sendCustomResourceResponse(event.ResponseURL, response);
};
