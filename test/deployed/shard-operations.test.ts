// Operator calls on one shard and the reconcile pass, as the reference's harness makes them:
// cancel_reconcile on an idle shard is a no-op, describe says it is not reconciling, and
// reconcile_all answers a count (it runs a pass the schedule would run anyway).
import { afterAll, describe, expect, it } from 'vitest';
import { tenantDescribeOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, parsed } from './support/api';
import { shown } from './support/target';

const api = new DeployedApi();
afterAll(() => api.cleanUp());

describe('shard operations', () => {
  it('cancel_reconcile on an idle shard answers 200 null, and 404 for a shard that does not exist', async () => {
    const tenantId = await api.createTenant(2);
    const idle = await api.call('PUT', `/control/v1/tenant/${tenantId}-0102/cancel_reconcile`);
    expect(idle.status, shown(idle)).toBe(200);
    expect(idle.body).toBeNull();
    const missing = await api.call('PUT', `/control/v1/tenant/${tenantId}-0104/cancel_reconcile`);
    expect(missing.status, shown(missing)).toBe(404);
    const described = parsed(tenantDescribeOut, await api.call('GET', `/control/v1/tenant/${tenantId}`));
    expect(described.shards.map((s) => s.is_reconciling)).toEqual([false, false]);
  });

  it('reconcile_all answers the number of reconciles it started', async () => {
    const reply = await api.call('POST', '/debug/v1/reconcile_all');
    // A pass over a busy fleet may outlast the request: 408, the pass going on.
    if (reply.status === 408) return;
    expect(reply.status, shown(reply)).toBe(200);
    expect(Number.isInteger(reply.body) && (reply.body as number) >= 0).toBe(true);
  });
});
