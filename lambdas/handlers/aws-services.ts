// Composition root on AWS: configuration from the function's environment, resolved once per
// container (cold start) and reused by every invocation.

import { createServices } from '../adapters/create-services';
import { createDocumentClient } from '../adapters/dynamo/client';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import type { Services } from '../api/services';
import type { WorkflowName } from '../core/ports';

let cached: Promise<Services> | undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing required environment variable ${name}`);
  return value;
}

export function awsServices(): Promise<Services> {
  cached ??= Promise.resolve().then(() =>
    createServices({
      doc: createDocumentClient(),
      tableName: required('TABLE_NAME'),
      publicKeyPem: process.env.PUBLIC_KEY || undefined,
      pageserverJwtToken: process.env.PAGESERVER_JWT_TOKEN || undefined,
      computeHookUrl: process.env.COMPUTE_HOOK_URL || undefined,
      controlPlaneJwtToken: process.env.CONTROL_PLANE_JWT_TOKEN || undefined,
      // STATE_MACHINES: JSON object of workflow name → state machine ARN, set by the stack.
      workflows: new SfnWorkflowStarter(
        JSON.parse(process.env.STATE_MACHINES ?? '{}') as Record<WorkflowName, string>,
      ),
      // API Gateway gives up at 29 s; leave room for the work after the wait.
      readinessWaitMs: 20_000,
    }),
  );
  return cached;
}
