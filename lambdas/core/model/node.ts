// A pageserver as the controller knows it, and the decisions about registering and configuring it.
import { ConflictError } from '../errors';

export const NODE_AVAILABILITIES = ['Active', 'WarmingUp', 'Offline'] as const;
export type NodeAvailability = (typeof NODE_AVAILABILITIES)[number];
/** What an operator may set: WarmingUp is the controller's own (a re-attach starts it). */
export const CONFIGURABLE_AVAILABILITIES = ['Active', 'Offline'] as const;

/** A pageserver's `GET /v1/utilization`, as last recorded by a heartbeat. */
export interface NodeUtilization {
  disk_usage_bytes: number;
  free_space_bytes: number;
  utilization_score: number;
  /** RFC 3339, when the pageserver measured it. */
  captured_at: string;
  shard_count?: number;
  max_shard_count?: number;
  disk_wanted_bytes?: number;
}

/**
 * Active → Draining → PauseForRestart → (re-attach) Active → Filling → Active is a rolling
 * restart; Deleting is a graceful node deletion; Pause is an operator's.
 */
export const NODE_SCHEDULING_POLICIES = [
  'Active',
  'Filling',
  'Pause',
  'PauseForRestart',
  'Draining',
  'Deleting',
] as const;
export type NodeSchedulingPolicy = (typeof NODE_SCHEDULING_POLICIES)[number];

export interface NodeAddress {
  listenHttpAddr: string;
  listenHttpPort: number;
  listenPgAddr: string;
  listenPgPort: number;
}

export interface PageserverNode extends NodeAddress {
  id: number;
  availability: NodeAvailability;
  scheduling: NodeSchedulingPolicy;
  availabilityZoneId: string | null;
  /** Epoch ms of the re-attach that began its warm-up (WarmingUp only), else null. */
  warmingUpSince: number | null;
  /** Epoch ms of the first heartbeat it failed since it last answered one, else null. */
  unresponsiveSince: number | null;
  /** The last utilization a heartbeat recorded, null before the first. */
  utilization: NodeUtilization | null;
  /** Intent references held by this node, kept in step with shard intents (scheduler load). */
  attachedCount: number;
  secondaryCount: number;
  /**
   * The scheduler's utilization input (1.0 = full), from the node's last heartbeat of
   * `GET /v1/utilization`; absent or null until one is recorded.
   */
  utilizationScore?: number | null;
  version: number;
}

export interface NodeRegistration extends NodeAddress {
  id: number;
  availabilityZoneId: string | null;
}

/** Only Active nodes whose policy admits new work take new shards (not WarmingUp ones). */
export function maySchedule(node: Pick<PageserverNode, 'availability' | 'scheduling'>): boolean {
  return node.availability === 'Active' && (node.scheduling === 'Active' || node.scheduling === 'Filling');
}

export function nodeBaseUrl(node: NodeAddress): string {
  const host = node.listenHttpAddr.includes(':') ? `[${node.listenHttpAddr}]` : node.listenHttpAddr;
  return `http://${host}:${node.listenHttpPort}`;
}

function sameAddress(a: NodeAddress, b: NodeAddress): boolean {
  return (
    a.listenHttpAddr === b.listenHttpAddr &&
    a.listenHttpPort === b.listenHttpPort &&
    a.listenPgAddr === b.listenPgAddr &&
    a.listenPgPort === b.listenPgPort
  );
}

/**
 * Registering a node that exists is idempotent when the addresses match (availability and
 * scheduling are not compared), a conflict otherwise. An AZ given now fills one that was unknown.
 */
export function decideRegistration(
  existing: PageserverNode | undefined,
  request: NodeRegistration,
): { kind: 'create' } | { kind: 'unchanged' } | { kind: 'set-az'; availabilityZoneId: string } {
  if (!existing) return { kind: 'create' };
  if (!sameAddress(existing, request)) {
    throw new ConflictError('Node is already registered with different address');
  }
  if (request.availabilityZoneId !== null && request.availabilityZoneId !== existing.availabilityZoneId) {
    if (existing.availabilityZoneId !== null) {
      throw new ConflictError('Node is already registered with a different availability zone');
    }
    return { kind: 'set-az', availabilityZoneId: request.availabilityZoneId };
  }
  return { kind: 'unchanged' };
}

export function newNode(request: NodeRegistration): Omit<PageserverNode, 'version'> {
  return {
    ...request,
    availability: 'Active',
    scheduling: 'Filling',
    warmingUpSince: null,
    unresponsiveSince: null,
    utilization: null,
    attachedCount: 0,
    secondaryCount: 0,
  };
}

/** Node JSON of the API: `id`, PascalCase enums, snake_case addresses. */
export function nodeToJson(node: PageserverNode) {
  return {
    id: node.id,
    availability: node.availability,
    scheduling: node.scheduling,
    listen_http_addr: node.listenHttpAddr,
    listen_http_port: node.listenHttpPort,
    listen_pg_addr: node.listenPgAddr,
    listen_pg_port: node.listenPgPort,
    availability_zone_id: node.availabilityZoneId,
    utilization: node.utilization,
  };
}
