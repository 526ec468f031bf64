// Which availability zone a new tenant calls home (later-features.md B3): the AZ whose nodes hold
// the fewest home shards per node, so tenants spread round-robin over the AZs and later splits
// (whose children keep the AZ) stay even. One AZ for every shard of a tenant.
import type { NodeSchedulingPolicy } from './model/node';

export interface AzCandidateNode {
  availabilityZoneId: string | null;
  scheduling: NodeSchedulingPolicy;
}

/**
 * The home AZ for a new tenant, or null when no node has an AZ. Availability is not considered:
 * an AZ whose pageservers are briefly offline (a restart, an outage) still gets its share of new
 * tenants, which attach elsewhere meanwhile and move home when it returns; otherwise every tenant
 * created during an outage would call the other AZs home for good. An AZ whose every node an
 * operator took out of scheduling (Pause, Draining…) gets no new tenants while another AZ can.
 */
export function chooseHomeAz(
  nodes: readonly AzCandidateNode[],
  homeShards: ReadonlyMap<string, number>,
): string | null {
  const azs = new Map<string, { nodes: number; open: boolean }>();
  for (const node of nodes) {
    if (node.availabilityZoneId === null) continue;
    const az = azs.get(node.availabilityZoneId) ?? { nodes: 0, open: false };
    az.nodes += 1;
    az.open ||= node.scheduling === 'Active' || node.scheduling === 'Filling';
    azs.set(node.availabilityZoneId, az);
  }
  const candidates = [...azs].some(([, az]) => az.open) ? [...azs].filter(([, az]) => az.open) : [...azs];
  let best: { az: string; perNode: number } | undefined;
  for (const [az, { nodes: count }] of candidates) {
    const perNode = (homeShards.get(az) ?? 0) / count;
    if (!best || perNode < best.perNode || (perNode === best.perNode && az < best.az)) best = { az, perNode };
  }
  return best?.az ?? null;
}
