// Puts a Secondary location straight onto a simulated pageserver, behind the controller's back
// (an orphan, or a location the controller does not know of).
import { expect } from 'vitest';

export async function plantSecondary(baseUrl: string, shard: string): Promise<void> {
  const res = await fetch(`${baseUrl}/v1/tenant/${shard}/location_config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenant_id: shard,
      mode: 'Secondary',
      generation: null,
      secondary_conf: { warm: true },
      shard_number: 0,
      shard_count: 0,
      shard_stripe_size: 32768,
      tenant_conf: {},
    }),
  });
  expect(res.status).toBe(200);
}
