import { describe, expect, it } from 'vitest';
import {
  buildComputeNotification,
  notificationFingerprint,
  placedNode,
} from '../../lambdas/core/compute-notification';
import { attachedConf, secondaryConf } from '../../lambdas/core/model/location-config';
import type { TenantShard } from '../../lambdas/core/model/tenant-shard';

const T = '1f359dd625e519a1a4e8d7509690f6fc';

function shard(
  number: number,
  count: number,
  node: number | null,
  confirmed = true,
  generation = 3,
): TenantShard {
  const identity = { number, count, stripeSize: 8192 };
  return {
    id: { tenantId: T, number, count },
    stripeSize: 8192,
    generation,
    generationPageserver: node,
    policy: { kind: 'Attached', secondaries: 0 },
    schedulingPolicy: 'Active',
    config: {},
    intent: { attached: node, secondary: [] },
    observed: node !== null && confirmed ? { [String(node)]: attachedConf(identity, {}, generation) } : {},
    splitting: false,
    pendingComputeNotification: false,
    lastError: null,
    preferredAz: null,
    version: 1,
  };
}

describe('compute notifications', () => {
  it('lists every shard of the newest count once all are placed, sorted by number', () => {
    const home = (s: TenantShard): TenantShard => ({ ...s, preferredAz: 'az-a' });
    const n = buildComputeNotification(T, [home(shard(1, 2, 2)), home(shard(0, 2, 1))]);
    expect(n).toEqual({
      tenant_id: T,
      stripe_size: 8192,
      preferred_az: 'az-a',
      shards: [
        { node_id: 1, shard_number: 0 },
        { node_id: 2, shard_number: 1 },
      ],
    });
  });

  it('sends nothing until the last shard is placed', () => {
    expect(buildComputeNotification(T, [shard(0, 2, 1)])).toBeNull();
    expect(buildComputeNotification(T, [shard(0, 2, 1), shard(1, 2, 2, false)])).toBeNull();
    expect(buildComputeNotification(T, [shard(0, 2, 1), shard(1, 2, null)])).toBeNull();
  });

  it('leaves out parents in the middle of a split', () => {
    const n = buildComputeNotification(T, [shard(0, 0, 1), shard(0, 2, 1), shard(1, 2, 1)]);
    expect(n?.shards).toEqual([
      { node_id: 1, shard_number: 0 },
      { node_id: 1, shard_number: 1 },
    ]);
  });

  it("carries the tenant's preferred AZ, not the AZ of the node shard zero is attached to", () => {
    // Shard zero failed over to a node in another AZ: the compute stays in the tenant's home AZ.
    const away = { ...shard(0, 0, 2), preferredAz: 'az-b' };
    expect(buildComputeNotification(T, [away])?.preferred_az).toBe('az-b');
    expect(buildComputeNotification(T, [shard(0, 0, 2)])?.preferred_az).toBeNull();
  });

  it('gives an unsharded tenant a null stripe size', () => {
    expect(buildComputeNotification(T, [shard(0, 0, 2)])).toMatchObject({
      stripe_size: null,
      preferred_az: null,
      shards: [{ node_id: 2, shard_number: 0 }],
    });
  });

  it('counts a shard as placed only when confirmed attached in its current generation', () => {
    const s = shard(0, 0, 1);
    expect(placedNode(s)).toBe(1);
    expect(placedNode({ ...s, generation: 4 })).toBeNull();
    expect(
      placedNode({ ...s, observed: { '1': secondaryConf({ number: 0, count: 0, stripeSize: 8192 }, {}) } }),
    ).toBeNull();
    expect(placedNode({ ...s, observed: { '1': null } })).toBeNull();
  });

  it('fingerprints identical notifications identically and different ones differently', () => {
    const a = buildComputeNotification(T, [shard(0, 0, 1)])!;
    const b = buildComputeNotification(T, [shard(0, 0, 1)])!;
    const c = buildComputeNotification(T, [shard(0, 0, 2)])!;
    expect(notificationFingerprint(a)).toBe(notificationFingerprint(b));
    expect(notificationFingerprint(a)).not.toBe(notificationFingerprint(c));
  });
});
