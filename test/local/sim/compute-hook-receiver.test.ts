import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ComputeHookReceiver, startComputeHookReceiver } from '../../../local/sim/compute-hook-receiver';

let hook: ComputeHookReceiver;
beforeEach(async () => {
  hook = await startComputeHookReceiver({ expectedToken: 'cp-token' });
});
afterEach(async () => {
  await hook.stop();
});

const body = {
  tenant_id: 'a'.repeat(32),
  stripe_size: null,
  preferred_az: null,
  shards: [{ node_id: 1, shard_number: 0 }],
};
const put = (headers: Record<string, string> = {}) =>
  fetch(hook.url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('compute hook receiver', () => {
  it('records notifications with whether the token was right', async () => {
    expect((await put({ authorization: 'Bearer cp-token' })).status).toBe(200);
    expect((await put()).status).toBe(200);
    expect((await put({ authorization: 'Bearer wrong' })).status).toBe(200);
    expect(hook.notifications.map((n) => n.authorization)).toEqual(['valid', 'none', 'invalid']);
    expect(hook.notifications[0]?.body).toEqual(body);
    const listed = await (await fetch(hook.url.replace('/notify', '/sim/v1/notifications'))).json();
    expect(listed).toHaveLength(3);
  });

  it('fails as told, for N calls, then records again', async () => {
    await fetch(hook.url.replace('/notify', '/sim/v1/faults'), {
      method: 'PUT',
      body: JSON.stringify({ status: 503, count: 2 }),
    });
    expect((await put()).status).toBe(503);
    expect((await put()).status).toBe(503);
    expect((await put()).status).toBe(200);
    expect(hook.notifications).toHaveLength(1);
  });

  it('hangs until cleared', async () => {
    hook.faults.add({ hang: true });
    await expect(
      fetch(hook.url, { method: 'PUT', body: JSON.stringify(body), signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    hook.faults.clear();
    expect((await put()).status).toBe(200);
    await hook.waitFor((all) => all.length === 1, 1000);
  });

  it('records a notification and loses the answer, or hangs and then drops', async () => {
    hook.faults.add({ applyThenDrop: true, count: 1 });
    await expect(put()).rejects.toThrow();
    expect(hook.notifications).toHaveLength(1);
    hook.faults.add({ hang: true, dropAfterMs: 100, count: 1 });
    const started = Date.now();
    await expect(put()).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(hook.notifications).toHaveLength(1);
    expect((await put()).status).toBe(200);
  });
});
