// Timelines on every shard of a tenant: create, branch, read through the pass-through, delete.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { timelineInfoOut } from '../../lambdas/api/response-schemas';
import { DeployedApi, parsed } from './support/api';
import { type Reply, shown } from './support/target';

const api = new DeployedApi();
let tenantId: string;
beforeAll(async () => {
  tenantId = await api.createTenant(2);
});
afterAll(() => api.cleanUp());

const newTimelineId = () => randomBytes(16).toString('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timelineIds(): Promise<string[]> {
  const reply = await api.call('GET', `/v1/tenant/${tenantId}/timeline`);
  expect(reply.status, shown(reply)).toBe(200);
  return parsed(z.array(timelineInfoOut), reply)
    .map((t) => t.timeline_id)
    .sort();
}

/** DELETE, called again while the controller answers 409 ("still deleting"). */
async function deleteTimeline(timelineId: string): Promise<Reply> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const reply = await api.call('DELETE', `/v1/tenant/${tenantId}/timeline/${timelineId}`);
    if (reply.status !== 409 || Date.now() > deadline) return reply;
    await sleep(1_000);
  }
}

describe('timelines', () => {
  it('creates a timeline on every shard, answering with shard zero’s TimelineInfo', async () => {
    const timelineId = newTimelineId();
    const reply = await api.call('POST', `/v1/tenant/${tenantId}/timeline`, {
      body: { new_timeline_id: timelineId, pg_version: 16 },
    });
    expect(reply.status, shown(reply)).toBe(201);
    const info = parsed(timelineInfoOut, reply);
    expect(info).toMatchObject({ tenant_id: `${tenantId}-0002`, timeline_id: timelineId, pg_version: 16 });
    expect(await timelineIds()).toContain(timelineId);
    const detail = await api.call('GET', `/v1/tenant/${tenantId}/timeline/${timelineId}`);
    expect(detail.status, shown(detail)).toBe(200);
    expect(parsed(timelineInfoOut, detail).timeline_id).toBe(timelineId);
  });

  it('branches from a timeline, then deletes the branch and keeps its parent', async () => {
    const parent = newTimelineId();
    const branch = newTimelineId();
    const made = await api.call('POST', `/v1/tenant/${tenantId}/timeline`, {
      body: { new_timeline_id: parent },
    });
    expect(made.status, shown(made)).toBe(201);
    const branched = await api.call('POST', `/v1/tenant/${tenantId}/timeline`, {
      body: { new_timeline_id: branch, ancestor_timeline_id: parent },
    });
    expect(branched.status, shown(branched)).toBe(201);
    expect(parsed(timelineInfoOut, branched).ancestor_timeline_id).toBe(parent);
    expect(await timelineIds()).toEqual(expect.arrayContaining([parent, branch]));

    const deleted = await deleteTimeline(branch);
    expect(deleted.status, shown(deleted)).toBe(200);
    const left = await timelineIds();
    expect(left).toContain(parent);
    expect(left).not.toContain(branch);
    const gone = await api.call('GET', `/v1/tenant/${tenantId}/timeline/${branch}`);
    expect(gone.status, shown(gone)).toBe(404);
  });
});
