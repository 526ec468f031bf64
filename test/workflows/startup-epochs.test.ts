// Readiness across deploys (issue 13, defect 1): on AWS each deploy runs startup-reconcile with an
// epoch of its own and nothing else begins a start. Every one of them must end ready, however many
// come in a row; the local stack's own start (beginStartup, then its startup) must too.
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo/client';
import { CONTROLLER_META_SK, CONTROLLER_PK } from '../../lambdas/adapters/dynamo/keys';
import { waitForExecution } from '../../lambdas/workflows/wait-execution';
import { startTestApi, type TestApi } from '../support/api-stack';

let api: TestApi;
afterEach(async () => {
  await api?.stop();
});

async function runStartup(name: string, epoch: string) {
  const { workflows } = api.stack.services;
  const { id } = await workflows.start('startup-reconcile', name, { epoch });
  return waitForExecution(workflows, id, 60_000);
}

describe('startup epochs', () => {
  it('ends ready after each of three deploys in a row, and after a restart between them', async () => {
    api = await startTestApi({ pageservers: 1 });
    expect((await api.call('GET', '/ready')).status).toBe(200);
    for (const deploy of ['deploy-1', 'deploy-2', 'deploy-3']) {
      const done = await runStartup(`startup-${deploy}`, deploy);
      expect(done?.status, deploy).toBe('SUCCEEDED');
      expect(await api.stack.services.meta.get(), deploy).toMatchObject({
        startupEpoch: deploy,
        readyEpoch: deploy,
      });
      expect((await api.call('GET', '/ready')).status, deploy).toBe(200);
      // A gated route answers at once rather than waiting for readiness.
      expect((await api.call('GET', '/control/v1/node')).status, deploy).toBe(200);
    }
    await api.stack.restartController();
    expect((await api.call('GET', '/ready')).status).toBe(200);
    expect((await runStartup('startup-deploy-4', 'deploy-4'))?.status).toBe('SUCCEEDED');
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });

  it('heals a table left unready by the old rule ({startupEpoch: deploy-1, readyEpoch: deploy-2})', async () => {
    const tableName = `api-${randomUUID()}`;
    api = await startTestApi({ pageservers: 0, tableName });
    // What the old MarkReady left after a second deploy, written as it was stored.
    const doc = createDocumentClient({ endpoint: api.stack.dynamoEndpoint });
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          PK: CONTROLLER_PK,
          SK: CONTROLLER_META_SK,
          startupEpoch: 'deploy-1',
          readyEpoch: 'deploy-2',
          version: 7,
        },
      }),
    );
    doc.destroy();
    expect((await api.call('GET', '/ready')).status).toBe(503);
    expect((await runStartup('startup-deploy-3', 'deploy-3'))?.status).toBe('SUCCEEDED');
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });

  it('does not mark ready a start that began after the finishing one', async () => {
    api = await startTestApi({ pageservers: 0 });
    const { meta } = api.stack.services;
    await meta.beginStartup('newer');
    expect((await runStartup('startup-older', 'older'))?.status).toBe('SUCCEEDED');
    expect(await meta.get()).toMatchObject({ startupEpoch: 'newer', readyEpoch: null });
    expect((await api.call('GET', '/ready')).status).toBe(503);
    expect((await runStartup('startup-newer', 'newer'))?.status).toBe('SUCCEEDED');
    expect((await api.call('GET', '/ready')).status).toBe(200);
  });
});
