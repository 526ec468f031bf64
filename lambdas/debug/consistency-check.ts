// Recomputes what is derived from the shards (node counters, AZ home counts, node→shard memberships) and
// lists every place where the stored value disagrees; then asks every pageserver that answers
// what it holds and lists the orphans: locations the controller does not know of at all (no such
// shard, or a node that is neither in the shard's intent nor in its observed state), which no
// reconcile would ever remove.
import { formatTenantShardId } from '../core/ids';
import type { PageserverNode } from '../core/model/node';
import type { TenantShard } from '../core/model/tenant-shard';
import type { NodeStore, PageserverApi, TenantStore } from '../core/ports';
import { allTenants } from '../tenants/all-tenants';

/** How long each pageserver gets to list its locations. */
const LISTING_TIMEOUT_MS = 5_000;

export async function consistencyCheck(stores: {
  tenants: TenantStore;
  nodes: NodeStore;
  pageservers: PageserverApi;
}): Promise<string[]> {
  const problems: string[] = [];
  const nodes = await stores.nodes.list();
  const known = new Set(nodes.map((n) => n.id));
  const tenants = await allTenants(stores.tenants);
  const shards: TenantShard[] = tenants.flatMap((t) => t.shards);

  const counts = new Map<number, { attached: number; secondary: number }>();
  const expected = new Map<string, string>();
  for (const shard of shards) {
    const id = formatTenantShardId(shard.id);
    const touched = new Set<number>([...shard.intent.secondary, ...Object.keys(shard.observed).map(Number)]);
    if (shard.intent.attached !== null) touched.add(shard.intent.attached);
    if (shard.generationPageserver !== null) touched.add(shard.generationPageserver);
    for (const node of touched) {
      const flags = {
        attached: shard.intent.attached === node,
        secondary: shard.intent.secondary.includes(node),
        issued: shard.generationPageserver === node,
        observed: String(node) in shard.observed,
      };
      expected.set(`${node}/${id}`, JSON.stringify(flags));
      const c = counts.get(node) ?? { attached: 0, secondary: 0 };
      c.attached += Number(flags.attached);
      c.secondary += Number(flags.secondary);
      counts.set(node, c);
      if ((flags.attached || flags.secondary) && !known.has(node)) {
        problems.push(`shard ${id} intends node ${node}, which is not registered`);
      }
    }
    if (shard.intent.attached !== null && shard.intent.secondary.includes(shard.intent.attached)) {
      problems.push(`shard ${id} has node ${shard.intent.attached} both attached and secondary`);
    }
  }
  for (const { tenant, shards: own } of tenants) {
    if (own.some((s) => s.splitting)) continue;
    const wrong = own.filter((s) => s.id.count !== tenant.shardCount);
    if (wrong.length > 0)
      problems.push(`tenant ${tenant.tenantId} has shards of a count other than ${tenant.shardCount}`);
  }

  // How many shards call each AZ home: kept beside the node counts by every shard write.
  const homes = new Map<string, number>();
  for (const shard of shards)
    if (shard.preferredAz !== null) homes.set(shard.preferredAz, (homes.get(shard.preferredAz) ?? 0) + 1);
  const storedHomes = await stores.tenants.homeShardsByAz();
  for (const az of new Set([...homes.keys(), ...storedHomes.keys()])) {
    const [want, have] = [homes.get(az) ?? 0, storedHomes.get(az) ?? 0];
    if (want !== have) problems.push(`AZ ${az} counts ${have} home shards, shards say ${want}`);
  }

  for (const node of nodes) {
    const c = counts.get(node.id) ?? { attached: 0, secondary: 0 };
    if (c.attached !== node.attachedCount || c.secondary !== node.secondaryCount) {
      problems.push(
        `node ${node.id} counts attached=${node.attachedCount} secondary=${node.secondaryCount}, intents say attached=${c.attached} secondary=${c.secondary}`,
      );
    }
    const stored = await stores.tenants.nodeMemberships(node.id);
    const seen = new Set<string>();
    for (const m of stored) {
      const key = `${node.id}/${formatTenantShardId(m.id)}`;
      seen.add(key);
      const flags = JSON.stringify({
        attached: m.attached,
        secondary: m.secondary,
        issued: m.issued,
        observed: m.observed,
      });
      if (expected.get(key) !== flags)
        problems.push(`membership ${key} is ${flags}, shard says ${expected.get(key) ?? 'nothing'}`);
    }
    for (const key of expected.keys()) {
      if (key.startsWith(`${node.id}/`) && !seen.has(key)) problems.push(`membership ${key} is missing`);
    }
  }
  problems.push(...(await orphans(stores.pageservers, nodes, shards)));
  return problems;
}

async function orphans(
  pageservers: PageserverApi,
  nodes: PageserverNode[],
  shards: TenantShard[],
): Promise<string[]> {
  const byId = new Map(shards.map((s) => [formatTenantShardId(s.id), s]));
  const found = await Promise.all(
    nodes
      .filter((n) => n.availability !== 'Offline')
      .map(async (node) => {
        // A node that does not answer cannot be checked (it may be restarting); skip it.
        const held = await pageservers.listLocationConfigs(node, LISTING_TIMEOUT_MS).catch(() => []);
        const problems: string[] = [];
        for (const [id] of held) {
          const shard = byId.get(id);
          if (!shard) {
            problems.push(`node ${node.id} holds ${id}, which no tenant has (orphan location)`);
            continue;
          }
          if (shard.splitting) continue;
          const known =
            shard.intent.attached === node.id ||
            shard.intent.secondary.includes(node.id) ||
            String(node.id) in shard.observed;
          if (!known)
            problems.push(`node ${node.id} holds ${id}, unknown to the controller (orphan location)`);
        }
        return problems;
      }),
  );
  return found.flat();
}
