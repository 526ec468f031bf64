// The chaos test's steps: what each does to the local stack, and how the seeded PRNG picks
// them. The model (tenants, their shard counts and timelines) changes when a step is chosen, not
// when it ends, so the choices depend on the seed alone.
import { type ChaosStack, sleep } from './chaos-stack';
import type { Prng } from './prng';

export interface ModelTenant {
  id: string;
  count: number;
  timelines: string[];
}

export interface Step {
  name: string;
  detail: string;
  /** Runs in the foreground, alone (a controller restart). */
  exclusive?: boolean;
  run: () => Promise<string>;
}

export const NODE_IDS = [1, 2, 3];
const MAX_TENANTS = 6;
const MAX_SHARDS = 20;

const WEIGHTS = {
  create: 8,
  delete: 3,
  timelineCreate: 6,
  timelineDelete: 1,
  migrate: 7,
  split: 3,
  policy: 4,
  locationConfig: 3,
  psRestart: 2,
  ps503Restarting: 3,
  psHang: 3,
  ps500: 3,
  psLostAnswer: 4,
  hookFail: 3,
  hookHang: 1,
  // Marking a live node Offline makes the controller attach its shards elsewhere while the node
  // still holds them AttachedSingle (safe by generations, but the overlap check fires): off by
  // default, CHAOS_NODE_OFFLINE=1 turns it on.
  nodeAvailability: process.env.CHAOS_NODE_OFFLINE === '1' ? 1 : 0,
  // Heartbeats (the chaos stack beats every 0.5 s, Offline after 2 s of silence): a pageserver
  // that stops answering /v1/utilization but serves all else (failed over while alive), and the
  // reverse, one that answers heartbeats but refuses tenant calls (stays Active, calls fail).
  heartbeatDown: 3,
  heartbeatOnly: 2,
  // A decommissioned node: its pageserver stops, DELETE /control/v1/node/:id, then a new machine
  // registers with that id and starts (empty-handed: nothing is issued to it any more).
  // CHAOS_NODE_DELETE=0 turns it off.
  nodeDelete: process.env.CHAOS_NODE_DELETE === '0' ? 0 : 1,
  controllerRestart: 1,
  // Drain and fill (node lifecycle): a drained node stays PauseForRestart until its pageserver
  // restarts (psRestart) or an operator step resets it; cancels hit whichever runs, or nothing.
  drain: 2,
  fill: 1,
  cancelOperation: 1,
  reconcileAll: 2,
  flushDeletions: 1,
};
type StepKind = keyof typeof WEIGHTS;

function shardIds(t: ModelTenant): string[] {
  if (t.count === 0) return [t.id];
  return Array.from(
    { length: t.count },
    (_, i) => `${t.id}-${i.toString(16).padStart(2, '0')}${t.count.toString(16).padStart(2, '0')}`,
  );
}

export function nextStep(rng: Prng, chaos: ChaosStack, tenants: ModelTenant[], deleted: string[]): Step {
  const shardsNow = tenants.reduce((n, t) => n + Math.max(t.count, 1), 0);
  let kind: StepKind = rng.weighted(WEIGHTS);
  if (tenants.length === 0) kind = 'create';
  if (kind === 'create' && (tenants.length >= MAX_TENANTS || shardsNow >= MAX_SHARDS)) kind = 'delete';
  const call = chaos.call;
  const status = async (p: ReturnType<typeof call>) => {
    const r = await p;
    return r.status === 0 ? `0 ${r.text}` : `${r.status}`;
  };
  const psAny = () => rng.pick(NODE_IDS);
  switch (kind) {
    case 'create': {
      const count = rng.pick([0, 0, 1, 2, 4].filter((c) => shardsNow + Math.max(c, 1) <= MAX_SHARDS));
      const t: ModelTenant = { id: rng.hexId(), count, timelines: [] };
      const secondaries = rng.pick([0, 0, 1]);
      tenants.push(t);
      return {
        name: 'create',
        detail: `${t.id} count ${count} secondaries ${secondaries}`,
        run: () =>
          status(
            call('POST', '/v1/tenant', {
              new_tenant_id: t.id,
              shard_parameters: { count, stripe_size: 32768 },
              ...(secondaries ? { placement_policy: { Attached: secondaries } } : {}),
            }),
          ),
      };
    }
    case 'delete': {
      const t = tenants.splice(rng.int(0, tenants.length - 1), 1)[0]!;
      deleted.push(t.id);
      return { name: 'delete', detail: t.id, run: () => status(call('DELETE', `/v1/tenant/${t.id}`)) };
    }
    case 'timelineCreate': {
      const t = rng.pick(tenants);
      const timeline = rng.hexId();
      const ancestor = t.timelines.length > 0 && rng.chance(0.3) ? rng.pick(t.timelines) : undefined;
      t.timelines.push(timeline);
      return {
        name: 'timelineCreate',
        detail: `${t.id}/${timeline}${ancestor ? ` from ${ancestor}` : ''}`,
        run: () =>
          status(
            call('POST', `/v1/tenant/${t.id}/timeline`, {
              new_timeline_id: timeline,
              ...(ancestor ? { ancestor_timeline_id: ancestor } : {}),
            }),
          ),
      };
    }
    case 'timelineDelete': {
      const t = rng.pick(tenants);
      if (t.timelines.length === 0) return nextStep(rng, chaos, tenants, deleted);
      const timeline = t.timelines.splice(rng.int(0, t.timelines.length - 1), 1)[0]!;
      return {
        name: 'timelineDelete',
        detail: `${t.id}/${timeline}`,
        run: () => status(call('DELETE', `/v1/tenant/${t.id}/timeline/${timeline}`)),
      };
    }
    case 'migrate': {
      const t = rng.pick(tenants);
      const shard = rng.pick(shardIds(t));
      const node = psAny();
      return {
        name: 'migrate',
        detail: `${shard} → ${node}`,
        run: () =>
          status(
            call('PUT', `/control/v1/tenant/${shard}/migrate`, { tenant_shard_id: shard, node_id: node }),
          ),
      };
    }
    case 'split': {
      const t = rng.pick(tenants);
      const from = Math.max(t.count, 1);
      if (from * 2 > 8 || shardsNow + from > MAX_SHARDS) return nextStep(rng, chaos, tenants, deleted);
      t.count = from * 2;
      return {
        name: 'split',
        detail: `${t.id} → ${t.count}`,
        run: () =>
          status(call('PUT', `/control/v1/tenant/${t.id}/shard_split`, { new_shard_count: t.count })),
      };
    }
    case 'policy': {
      const t = rng.pick(tenants);
      const placement = rng.pick<unknown>([
        { Attached: 0 },
        { Attached: 0 },
        { Attached: 1 },
        'Detached',
        'Secondary',
      ]);
      return {
        name: 'policy',
        detail: `${t.id} ${JSON.stringify(placement)}`,
        run: () => status(call('PUT', `/control/v1/tenant/${t.id}/policy`, { placement })),
      };
    }
    case 'locationConfig': {
      // The cloud control plane: attach (or import a new tenant in a generation) or detach.
      const importing = rng.chance(0.25) || tenants.length === 0;
      const t: ModelTenant = importing ? { id: rng.hexId(), count: 0, timelines: [] } : rng.pick(tenants);
      if (importing) tenants.push(t);
      const mode = importing ? 'AttachedSingle' : rng.pick(['AttachedSingle', 'AttachedSingle', 'Detached']);
      const generation = rng.int(1, 50);
      return {
        name: 'locationConfig',
        detail: `${t.id} ${mode}${importing ? ` import@${generation}` : ''}`,
        run: () =>
          status(
            call('PUT', `/v1/tenant/${t.id}/location_config`, {
              tenant_id: t.id,
              mode,
              ...(mode === 'Detached' ? {} : { generation }),
              tenant_conf: {},
            }),
          ),
      };
    }
    case 'psRestart': {
      const ps = chaos.pageserver(psAny());
      const plan = { downMs: rng.int(0, 300), startingMs: rng.int(0, 500) };
      return {
        name: 'psRestart',
        detail: `node ${ps.nodeId} ${JSON.stringify(plan)}`,
        run: async () => {
          await ps.restart(plan);
          return 'restarted';
        },
      };
    }
    case 'ps503Restarting': {
      const ps = chaos.pageserver(psAny());
      const fault = {
        path: rng.pick(['location_config', 'location_config', '/timeline$', 'shard_split']),
        restart: { downMs: rng.int(0, 200), startingMs: rng.int(0, 400) },
        count: 1,
      };
      return faultStep('ps503Restarting', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'psHang': {
      const ps = chaos.pageserver(psAny());
      const fault = {
        path: rng.pick(['location_config', '/timeline', 'shard_split', '^/v1/tenant/[^/]+$']),
        hang: true,
        dropAfterMs: rng.int(100, 1_500),
        count: rng.int(1, 2),
      };
      return faultStep('psHang', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'ps500': {
      const ps = chaos.pageserver(psAny());
      const fault = {
        path: rng.pick(['location_config', '/timeline', 'shard_split', '^/v1/tenant/[^/]+$']),
        status: 500,
        count: rng.int(1, 3),
      };
      return faultStep('ps500', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'psLostAnswer': {
      const ps = chaos.pageserver(psAny());
      const fault = {
        path: rng.pick([
          'location_config',
          'location_config',
          '/timeline',
          'shard_split',
          '^/v1/tenant/[^/]+$',
        ]),
        applyThenDrop: true,
        dropAfterMs: rng.pick([0, 0, rng.int(50, 1_000)]),
        count: rng.int(1, 2),
      };
      return faultStep('psLostAnswer', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'hookFail': {
      const fault = { status: rng.pick([404, 500, 503]), count: rng.int(1, 3) };
      return faultStep('hookFail', 'hook', () => chaos.hook.faults.add(fault), fault);
    }
    case 'hookHang': {
      const fault = rng.chance(0.5)
        ? { hang: true, dropAfterMs: rng.int(100, 1_500), count: 1 }
        : { applyThenDrop: true, count: 1 };
      return faultStep('hookHang', 'hook', () => chaos.hook.faults.add(fault), fault);
    }
    case 'nodeAvailability': {
      const node = psAny();
      const availability = rng.pick(['Offline', 'Active', 'Active']);
      return {
        name: 'nodeAvailability',
        detail: `node ${node} ${availability}`,
        run: () => status(call('PUT', `/control/v1/node/${node}/config`, { node_id: node, availability })),
      };
    }
    case 'heartbeatDown': {
      const ps = chaos.pageserver(psAny());
      // Each beat probes 4 times: a few calls is a blip, 20 or more outlasts max-offline.
      const fault = rng.chance(0.5)
        ? { path: '^/v1/utilization$', status: 503, count: rng.int(4, 60) }
        : { path: '^/v1/utilization$', hang: true, dropAfterMs: rng.int(1_100, 1_500), count: rng.int(1, 8) };
      return faultStep('heartbeatDown', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'heartbeatOnly': {
      const ps = chaos.pageserver(psAny());
      const fault = { path: '^/v1/(tenant|location_config)', status: 503, count: rng.int(3, 20) };
      return faultStep('heartbeatOnly', `node ${ps.nodeId}`, () => ps.faults.add(fault), fault);
    }
    case 'nodeDelete': {
      const ps = chaos.pageserver(psAny());
      return {
        name: 'nodeDelete',
        detail: `node ${ps.nodeId}`,
        exclusive: true,
        run: async () => {
          await ps.stop();
          const deleted = await call('DELETE', `/control/v1/node/${ps.nodeId}`);
          const registered = await call('POST', '/control/v1/node', {
            node_id: ps.nodeId,
            listen_http_addr: '127.0.0.1',
            listen_http_port: ps.port,
            listen_pg_addr: '127.0.0.1',
            listen_pg_port: ps.port,
          });
          await ps.start();
          return `${deleted.status} registered ${registered.status}`;
        },
      };
    }
    case 'controllerRestart':
      return {
        name: 'controllerRestart',
        detail: 'kill and restart',
        exclusive: true,
        run: async () => {
          await chaos.killController();
          return 'restarted';
        },
      };
    case 'drain':
    case 'fill': {
      const node = psAny();
      return {
        name: kind,
        detail: `node ${node}`,
        run: () => status(call('PUT', `/control/v1/node/${node}/${kind}`)),
      };
    }
    case 'cancelOperation': {
      // Start an operation, then cancel it after a while: mid-round, or before it began.
      const node = psAny();
      const what = rng.pick(['drain', 'fill']);
      const delayMs = rng.int(0, 1_500);
      return {
        name: 'cancelOperation',
        detail: `${what} of node ${node} after ${delayMs} ms`,
        run: async () => {
          const started = await status(call('PUT', `/control/v1/node/${node}/${what}`));
          await sleep(delayMs);
          return `${started}/${await status(call('DELETE', `/control/v1/node/${node}/${what}`))}`;
        },
      };
    }
    case 'reconcileAll':
      return {
        name: 'reconcileAll',
        detail: '',
        run: async () => {
          await chaos.api.stack.reconcileAllNow();
          return 'done';
        },
      };
    case 'flushDeletions': {
      const ps = chaos.pageserver(psAny());
      return {
        name: 'flushDeletions',
        detail: `node ${ps.nodeId}`,
        run: async () => {
          const validated = await ps.flushDeletions();
          return `validated ${validated.filter((v) => v.valid).length}/${validated.length}`;
        },
      };
    }
  }
}

function faultStep(name: string, where: string, add: () => void, fault: object): Step {
  return {
    name,
    detail: `${where} ${JSON.stringify(fault)}`,
    run: async () => {
      add();
      return 'armed';
    },
  };
}
