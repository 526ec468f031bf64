// Composition root on AWS: configuration from the environment and Secrets Manager, reloaded at
// most every CONFIG_TTL_MS (a rotated token or key is seen within that time) and shared by every
// invocation of the container meanwhile. Clients and the metrics registry (which also records
// to CloudWatch EMF, flushed by each handler) outlive reloads.
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig, secretsManagerReader } from '../adapters/config';
import { createDocumentClient } from '../adapters/dynamo/client';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import type { ApiContext } from '../api/api-context';
import { MetricsRegistry } from '../app/metrics-registry';
import { ttlCache } from '../app/ttl-cache';
import type { WorkflowName } from '../core/ports';
import { createApiContext } from './compose';
import { emf } from './emf';
import { logger } from './powertools-logger';

export const CONFIG_TTL_MS = 5 * 60_000;

let shared: { doc: ReturnType<typeof createDocumentClient>; sfn: SFNClient; metrics: MetricsRegistry };
const readSecret = secretsManagerReader();

const services = ttlCache<ApiContext>(
  async () => {
    const config = await loadConfig(process.env, readSecret, (message, details) =>
      logger.warn(message, details),
    );
    shared ??= {
      doc: createDocumentClient(),
      sfn: new SFNClient({}),
      metrics: new MetricsRegistry().withSink(emf),
    };
    return createApiContext({
      doc: shared.doc,
      tableName: config.tableName,
      publicKeyPem: config.publicKeyPem,
      pageserverJwtToken: config.pageserverJwtToken,
      computeHookUrl: config.computeHookUrl,
      controlPlaneJwtToken: config.controlPlaneJwtToken,
      workflows: new SfnWorkflowStarter(config.stateMachines as Record<WorkflowName, string>, shared.sfn),
      metrics: shared.metrics,
      heartbeat: config.heartbeat,
      ...(config.maxSecondaryLagBytes === undefined
        ? {}
        : { maxSecondaryLagBytes: config.maxSecondaryLagBytes }),
      // API Gateway gives up at 29 s; leave room for the work after the wait.
      readinessWaitMs: 20_000,
    });
  },
  {
    ttlMs: CONFIG_TTL_MS,
    onStale: (error) =>
      logger.warn('configuration reload failed; serving the previous one', {
        error: (error as Error).message,
      }),
  },
);

/** The context for this invocation; a failed first load is retried by the next invocation. */
export function awsServices(): Promise<ApiContext> {
  return services();
}
