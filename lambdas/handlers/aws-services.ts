// Composition root on AWS: configuration from the environment and Secrets Manager, resolved once
// per container (cold start) and reused by every invocation.
import { loadConfig, secretsManagerReader } from '../adapters/config';
import { createDocumentClient } from '../adapters/dynamo/client';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import type { ApiContext } from '../api/api-context';
import type { WorkflowName } from '../core/ports';
import { createApiContext } from './compose';

let cached: Promise<ApiContext> | undefined;

export function awsServices(): Promise<ApiContext> {
  cached ??= loadConfig(process.env, secretsManagerReader()).then((config) =>
    createApiContext({
      doc: createDocumentClient(),
      tableName: config.tableName,
      publicKeyPem: config.publicKeyPem,
      pageserverJwtToken: config.pageserverJwtToken,
      computeHookUrl: config.computeHookUrl,
      controlPlaneJwtToken: config.controlPlaneJwtToken,
      workflows: new SfnWorkflowStarter(config.stateMachines as Record<WorkflowName, string>),
      // API Gateway gives up at 29 s; leave room for the work after the wait.
      readinessWaitMs: 20_000,
    }),
  );
  // A failed cold start is retried by the next invocation rather than cached.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
