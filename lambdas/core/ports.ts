// Ports: what the domain needs from the outside world. Each runtime's composition root supplies
// implementations (DynamoDB on AWS and on DynamoDB Local alike).
import type { TenantShardId } from './ids';
import type { LocationConfig } from './model/location-config';
import type {
  NodeAddress,
  NodeAvailability,
  NodeSchedulingPolicy,
  NodeUtilization,
  PageserverNode,
} from './model/node';
import type { NodeOperation } from './model/node-operation';
import type { Tenant } from './model/tenant';
import type { TenantShard } from './model/tenant-shard';

export interface NodeChanges {
  availability?: NodeAvailability;
  scheduling?: NodeSchedulingPolicy;
  availabilityZoneId?: string;
  warmingUpSince?: number | null;
  unresponsiveSince?: number | null;
  utilization?: NodeUtilization | null;
}

export interface NodeStore {
  get(id: number): Promise<PageserverNode | undefined>;
  /** Every node, strongly consistent, ordered by id. */
  list(): Promise<PageserverNode[]>;
  /**
   * Every node, and how many shards call each AZ home (TenantStore.homeShardsByAz), in one
   * strongly consistent read: what placing a new tenant, or the optimizer, needs.
   */
  listWithHomes(): Promise<{ nodes: PageserverNode[]; homeShardsByAz: Map<string, number> }>;
  /** Fails with VersionConflictError if the node exists. */
  create(node: Omit<PageserverNode, 'version'>): Promise<PageserverNode>;
  /** Fails with VersionConflictError if the node changed since `expectedVersion` or is gone. */
  update(id: number, expectedVersion: number, changes: NodeChanges): Promise<PageserverNode>;
  delete(id: number): Promise<void>;
  /**
   * Deletes the node only if it is still at `expectedVersion` and no intent refers to it (its
   * attached and secondary counts are 0, checked in the same transaction); VersionConflictError
   * otherwise.
   */
  deleteIfUnreferenced(id: number, expectedVersion: number): Promise<void>;
}

/** The cluster's one background node operation (drain, fill, graceful delete), if any. */
export interface NodeOperationStore {
  get(): Promise<NodeOperation | undefined>;
  /**
   * Records a new operation; fails with VersionConflictError if one exists, unless it is
   * `replacing` (an abandoned one) at the version read.
   */
  claim(op: Omit<NodeOperation, 'version'>, replacing?: NodeOperation): Promise<NodeOperation>;
  /** Fails with VersionConflictError if the record changed since `op` was read. */
  update(
    op: NodeOperation,
    changes: Partial<Pick<NodeOperation, 'execution' | 'executionId' | 'startedAt' | 'cancelled'>>,
  ): Promise<NodeOperation>;
  /** Removes the record as read; VersionConflictError if it changed. */
  release(op: NodeOperation): Promise<void>;
}

export interface ControllerMeta {
  /** Identifies the current start of the deployment (local run or deploy). */
  startupEpoch: string | null;
  /** The epoch whose startup work has finished; ready when equal to startupEpoch. */
  readyEpoch: string | null;
  version: number;
}

export interface ControllerMetaStore {
  get(): Promise<ControllerMeta>;
  /** A new start begins: the service is not ready until markReady(epoch). */
  beginStartup(epoch: string): Promise<void>;
  /** The start `epoch` finished its startup work: see readinessAfterStartup. */
  markReady(epoch: string): Promise<void>;
}

export function isReady(meta: ControllerMeta): boolean {
  return meta.startupEpoch !== null && meta.readyEpoch === meta.startupEpoch;
}

/**
 * The epochs once the start `epoch` has finished its startup work: it becomes the current epoch,
 * ready, unless another start has begun since (beginStartup, which clears readyEpoch) and not
 * finished, which will mark itself. On AWS nothing but a deploy's startup begins an epoch, so each
 * deploy's startup takes over from the last and the service stays ready through any number of them.
 * Returns null when nothing changes.
 */
export function readinessAfterStartup(
  meta: ControllerMeta,
  epoch: string,
): { startupEpoch: string; readyEpoch: string } | null {
  const anotherStartRunning =
    meta.startupEpoch !== null && meta.startupEpoch !== epoch && meta.readyEpoch === null;
  if (anotherStartRunning) return null;
  if (meta.startupEpoch === epoch && meta.readyEpoch === epoch) return null;
  return { startupEpoch: epoch, readyEpoch: epoch };
}

export interface ShardChange {
  /** The shard as read (its version is the write condition); null to create. */
  before: TenantShard | null;
  /** The shard to store; null to delete. */
  after: TenantShard | null;
}

/** What a shard means to one node, as kept in the node's partition. */
export interface Membership {
  id: TenantShardId;
  attached: boolean;
  secondary: boolean;
  /** The shard's latest generation was issued to this node (re-attach hands it back). */
  issued: boolean;
  observed: boolean;
}

/** A tenant lease taken (or given up) in the same write as the tenant's own items. */
export interface LeaseClaim {
  name: string;
  owner: string;
  ttlMs: number;
}

export interface TenantStore {
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /** The tenant and its shards in shard order, strongly consistent, in one read. */
  getTenantWithShards(tenantId: string): Promise<{ tenant: Tenant; shards: TenantShard[] } | undefined>;
  getShard(id: TenantShardId): Promise<TenantShard | undefined>;
  /**
   * Fails with VersionConflictError if the tenant exists, or if `claim` names a tenant lease
   * someone else holds: with `claim`, the lease is taken in the same write as the tenant item.
   */
  createTenant(tenant: Omit<Tenant, 'version'>, shards: TenantShard[], claim?: LeaseClaim): Promise<void>;
  /**
   * Writes shard changes (and optionally the tenant item) conditioned on the versions read; with
   * `release`, gives up that tenant lease in the same write (VersionConflictError if not held).
   */
  saveShards(
    changes: ShardChange[],
    tenant?: { before: Tenant; after: Tenant },
    release?: Omit<LeaseClaim, 'ttlMs'>,
  ): Promise<TenantShard[]>;
  deleteTenantItem(tenant: Tenant): Promise<void>;
  listTenants(limit: number, after?: string): Promise<{ tenants: Tenant[]; next?: string }>;
  nodeMemberships(nodeId: number): Promise<Membership[]>;
  /** Shards whose observed state differs from intent, from the sparse index (eventually consistent). */
  listDirty(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }>;

  // Reads for passes over many shards: each item once, many to a round trip.

  /** Shards by id, strongly consistent, read in batches; ids with no shard are left out (any order). */
  getShards(ids: TenantShardId[]): Promise<TenantShard[]>;
  /** Tenants by id, each with its shards in shard order, strongly consistent; absent ones left out. */
  getTenantsWithShards(tenantIds: string[]): Promise<TenantWithShards[]>;
  /** A page of tenants in id order (as listTenants), each with its shards: a pass over the fleet. */
  listTenantsWithShards(
    limit: number,
    after?: string,
  ): Promise<{ tenants: TenantWithShards[]; next?: string }>;
  /**
   * Every shard of the sparse index: the dirty ones (listDirty) and, besides, those whose policy
   * attaches them but that no node is intended to hold (needsPlacement). Eventually consistent.
   */
  listUnsettled(limit: number, cursor?: string): Promise<{ ids: TenantShardId[]; next?: string }>;
  /** How many shards name each availability zone as their preferred one (kept with every shard write). */
  homeShardsByAz(): Promise<Map<string, number>>;
}

export interface TenantWithShards {
  tenant: Tenant;
  shards: TenantShard[];
}

/** The parts of TimelineInfo the controller reads; the rest is passed through. */
export interface PageserverTimeline {
  tenant_id: string;
  timeline_id: string;
  ancestor_lsn: string | null;
  last_record_lsn: string;
  [field: string]: unknown;
}

/** The parts of a secondary's download progress the controller reads (lag = total − downloaded). */
export interface SecondaryProgress {
  bytes_total: number;
  bytes_downloaded: number;
  [field: string]: unknown;
}

export interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface PageserverApi {
  putLocationConfig(
    node: NodeAddress,
    id: TenantShardId,
    conf: LocationConfig,
    options?: {
      flushMs?: number;
      timeoutMs?: number;
      /**
       * Asked before every attempt, the first and each retry: false abandons the call with a
       * SupersededError (the generation it carries is no longer the newest).
       */
      stillCurrent?: () => Promise<boolean>;
    },
  ): Promise<void>;
  listLocationConfigs(node: NodeAddress, timeoutMs?: number): Promise<Array<[string, LocationConfig | null]>>;
  /** `GET /v1/utilization`: one attempt, bounded by `timeoutMs` (heartbeats retry themselves). */
  utilization(node: NodeAddress, timeoutMs: number): Promise<NodeUtilization>;
  createTimeline(
    node: NodeAddress,
    id: TenantShardId,
    request: Record<string, unknown>,
  ): Promise<PageserverTimeline>;
  listTimelines(node: NodeAddress, id: TenantShardId): Promise<PageserverTimeline[]>;
  deleteTimeline(node: NodeAddress, id: TenantShardId, timelineId: string): Promise<'in-progress' | 'done'>;
  deleteTenant(node: NodeAddress, id: TenantShardId): Promise<'in-progress' | 'done'>;
  /** Splits a shard; `newStripeSize` (null: keep) is the children's stripe. */
  shardSplit(
    node: NodeAddress,
    id: TenantShardId,
    newShardCount: number,
    newStripeSize?: number | null,
    /** Asked before every attempt; false abandons the call (SupersededError). */
    stillCurrent?: () => Promise<boolean>,
  ): Promise<string[]>;
  timeTravel(node: NodeAddress, id: TenantShardId, travelTo: string, doneIfAfter: string): Promise<void>;
  /** Resolves once the secondary location has downloaded what it lacked (within `timeoutMs`). */
  secondaryDownload(node: NodeAddress, id: TenantShardId, options?: { timeoutMs?: number }): Promise<void>;
  /** A secondary location's download progress (`GET .../secondary/status`). */
  secondaryStatus(node: NodeAddress, id: TenantShardId): Promise<SecondaryProgress>;
  rawGet(node: NodeAddress, pathAndQuery: string): Promise<RawResponse>;
}

export interface ComputeNotification {
  tenant_id: string;
  stripe_size: number | null;
  preferred_az: string | null;
  shards: Array<{ node_id: number; shard_number: number }>;
}

export type ComputeHookResult = { ok: true } | { ok: false; fatal: boolean; message: string };

export interface ComputeHook {
  /** Delivers one notification, retrying transient failures within the deadline. */
  notify(notification: ComputeNotification, deadline: number): Promise<ComputeHookResult>;
}

export interface LeaseHolder {
  name: string;
  owner: string;
  expiresAt: number;
  /** An operator asked the holder to stop (cancel_reconcile); it gives the lease up at its next step. */
  cancelled?: boolean;
}

/**
 * Leases: expiring, exclusive claims kept in the tenant's partition. One model for the whole
 * project (core/leases.ts names them): a tenant operation (split, delete, timeline operations,
 * time travel) holds the tenant's OPERATION lease; a reconcile or migration holds its shard's
 * lease. A shard lease cannot be taken while another owner holds the tenant's OPERATION lease, and
 * a tenant operation waits for the shard leases taken before it to drain.
 */
export interface LeaseStore {
  /** True if `owner` now holds the lease (new, expired, or already its own). */
  acquire(tenantId: string, name: string, owner: string, ttlMs: number): Promise<boolean>;
  release(tenantId: string, name: string, owner: string): Promise<void>;
  /**
   * Takes a shard's lease, atomically with a check that no tenant operation holds the tenant
   * (unless it is `under`, the operation this work runs on behalf of).
   */
  acquireShard(id: TenantShardId, owner: string, ttlMs: number, under?: string): Promise<boolean>;
  /** acquireShard for several shards of one tenant, each with its owner: all of them, or none (false). */
  acquireShards(
    tenantId: string,
    shards: Array<{ id: TenantShardId; owner: string }>,
    ttlMs: number,
    under?: string,
  ): Promise<boolean>;
  /** Unexpired shard leases of the tenant, strongly consistent. */
  shardHolders(tenantId: string): Promise<LeaseHolder[]>;
  /** Who holds a lease now (unexpired), strongly consistent. */
  holder(tenantId: string, name: string): Promise<LeaseHolder | undefined>;
  /** The unexpired holders of these shards' leases, strongly consistent, read by key in batches. */
  shardHoldersOf(ids: TenantShardId[]): Promise<Array<{ id: TenantShardId; holder: LeaseHolder }>>;
  /** Asks `owner`, if it still holds the lease, to stop; true if it holds it. */
  cancel(tenantId: string, name: string, owner: string): Promise<boolean>;
}

export const WORKFLOWS = [
  'shard-split',
  'migrate',
  'reconcile-all',
  'startup-reconcile',
  'startup-cleanup',
  'drain-fill',
  'heartbeat',
] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];
/**
 * Express workflows: short, frequent, billed by duration rather than by state transition. Step
 * Functions neither lists nor describes their executions (only their logs tell of them).
 */
export const EXPRESS_WORKFLOWS: ReadonlySet<WorkflowName> = new Set<WorkflowName>(['heartbeat']);
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface WorkflowExecution {
  /** Execution ARN on AWS; a local id otherwise. */
  id: string;
  name: string;
  workflow: WorkflowName;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt: string | null;
  input: unknown;
  output: unknown;
  error: { error: string; cause: string } | null;
}

export interface WorkflowStarter {
  /**
   * Starts an execution, as StartExecution does: a running execution with the same name and input
   * is returned as is; any other use of a name the workflow has used (for 90 days, finished
   * executions too) throws ExecutionAlreadyExistsError, and a name Step Functions refuses throws
   * InvalidExecutionNameError.
   */
  start(workflow: WorkflowName, name: string, input: Record<string, unknown>): Promise<{ id: string }>;
  describe(id: string): Promise<WorkflowExecution | undefined>;
  list(filter: { status?: ExecutionStatus; limit: number }): Promise<WorkflowExecution[]>;
  history(id: string): Promise<Array<Record<string, unknown>>>;
}
