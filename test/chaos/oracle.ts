// What "converged" means after the faults are healed, checked against the pageservers
// themselves, the controller's records and the compute hook:
// - no shard is left splitting, none has a notification pending;
// - every attached shard has exactly one attached location, AttachedSingle on its intended node, in
//   its newest generation (the controller's, and no newer one was ever issued); secondaries hold
//   Secondary; Detached/Secondary policies hold nothing attached;
// - intent == observed (the controller believes what is true, nothing unknown);
// - the compute hook's last notification for the tenant names every shard's holder;
// - no location on any pageserver the controller does not intend (no orphans, e.g. of deleted
//   tenants);
// - POST /debug/v1/consistency_check answers 200.
import type { ChaosStack, DumpedShard } from './chaos-stack';

const ATTACHED = new Set(['AttachedSingle', 'AttachedMulti', 'AttachedStale']);

function policyKind(policy: unknown): 'Attached' | 'Secondary' | 'Detached' {
  if (policy === 'Secondary' || policy === 'Detached') return policy;
  return 'Attached';
}

export async function convergenceProblems(chaos: ChaosStack): Promise<string[]> {
  const problems: string[] = [];
  let shards: DumpedShard[];
  try {
    shards = await chaos.dump();
  } catch (error) {
    return [(error as Error).message];
  }
  const byId = new Map(shards.map((s) => [s.tenant_shard_id, s]));
  const held = new Map<string, Array<{ node: number; mode: string; generation: number | null }>>();
  for (const ps of chaos.fleet.pageservers) {
    if (!ps.isRunning || !ps.isActive) problems.push(`pageserver ${ps.nodeId} is not running and active`);
    for (const { shard, conf } of ps.locations()) {
      held.set(shard, [
        ...(held.get(shard) ?? []),
        { node: ps.nodeId, mode: conf.mode, generation: conf.generation },
      ]);
    }
  }

  for (const s of shards) {
    const id = s.tenant_shard_id;
    const kind = policyKind(s.policy);
    const here = held.get(id) ?? [];
    const attachedHere = here.filter((h) => ATTACHED.has(h.mode));
    if (s.splitting === 'Splitting') problems.push(`shard ${id} is still splitting`);
    if (s.pending_compute_notification) problems.push(`shard ${id} still has a compute notification pending`);
    if (kind === 'Attached') {
      const want = s.intent.attached;
      if (want === null) problems.push(`shard ${id} (policy Attached) has no attached node`);
      const where =
        attachedHere.map((h) => `node ${h.node} ${h.mode}@${h.generation}`).join(', ') || 'nowhere';
      if (
        attachedHere.length !== 1 ||
        attachedHere[0]!.node !== want ||
        attachedHere[0]!.mode !== 'AttachedSingle' ||
        attachedHere[0]!.generation !== s.generation
      ) {
        problems.push(
          `shard ${id}: want one AttachedSingle on node ${want} in generation ${s.generation}, pageservers hold it attached ${where}`,
        );
      }
      const newest = chaos.fleet.storage.latestIssued(id);
      if (newest && newest.generation > s.generation)
        problems.push(
          `shard ${id}: controller generation ${s.generation} is older than generation ${newest.generation} issued to node ${newest.node}`,
        );
    } else if (attachedHere.length > 0) {
      problems.push(
        `shard ${id} (policy ${kind}) is attached on ${attachedHere.map((h) => `node ${h.node} ${h.mode}`).join(', ')}`,
      );
    }
    for (const node of s.intent.secondary) {
      const loc = here.find((h) => h.node === node);
      if (loc?.mode !== 'Secondary')
        problems.push(`shard ${id}: node ${node} should hold a Secondary, holds ${loc?.mode ?? 'nothing'}`);
    }
    // intent == observed
    const expected = new Map<string, string>();
    if (s.intent.attached !== null) expected.set(String(s.intent.attached), `AttachedSingle@${s.generation}`);
    for (const node of s.intent.secondary) expected.set(String(node), 'Secondary@null');
    const observed = new Map<string, string>();
    for (const [node, { conf }] of Object.entries(s.observed.locations)) {
      if (conf?.mode === 'Detached') continue;
      observed.set(node, conf === null ? 'unknown' : `${conf.mode}@${conf.generation}`);
    }
    const show = (m: Map<string, string>) =>
      [...m]
        .sort()
        .map(([n, c]) => `${n}:${c}`)
        .join(' ') || 'nothing';
    if (show(expected) !== show(observed))
      problems.push(
        `shard ${id}: intent is ${show(expected)}, observed is ${show(observed)}${s.last_error ? ` (last error: ${s.last_error})` : ''}`,
      );
  }

  // Orphans: locations the controller does not intend.
  for (const [shard, holders] of held) {
    const s = byId.get(shard);
    for (const h of holders) {
      const intended = s && (s.intent.attached === h.node || s.intent.secondary.includes(h.node));
      if (!intended)
        problems.push(
          `orphan location: node ${h.node} holds ${shard} (${h.mode}@${h.generation})${s ? '' : ', a shard the controller does not know'}`,
        );
    }
  }

  // The compute hook's last word on each attached tenant names every shard's holder.
  const tenants = new Map<string, DumpedShard[]>();
  for (const s of shards) {
    const tenantId = s.tenant_shard_id.slice(0, 32);
    tenants.set(tenantId, [...(tenants.get(tenantId) ?? []), s]);
  }
  for (const [tenantId, own] of tenants) {
    if (own.some((s) => policyKind(s.policy) !== 'Attached' || s.intent.attached === null)) continue;
    const want = own
      .map((s) => ({ node_id: s.intent.attached!, shard_number: s.shard.number }))
      .sort((a, b) => a.shard_number - b.shard_number);
    const last = chaos.hook.notifications.filter((n) => n.body.tenant_id === tenantId).at(-1);
    const got = last ? [...last.body.shards].sort((a, b) => a.shard_number - b.shard_number) : null;
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(
        `tenant ${tenantId}: compute hook last told ${got ? JSON.stringify(got) : 'nothing'}, holders are ${JSON.stringify(want)}`,
      );
  }

  const check = await chaos.call('POST', '/debug/v1/consistency_check', undefined, 15_000);
  if (check.status !== 200) problems.push(`consistency check answered ${check.status}: ${check.text}`);
  return problems;
}
