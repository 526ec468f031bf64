// What the suite's tests share: calls against the target, tenants that clean up after themselves,
// workflows followed to their end, and the fleet as the controller lists it.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import * as z from 'zod';
import { tenantCreateOut, workflowDetailOut } from '../../../lambdas/api/response-schemas';
import { maySchedule } from '../../../lambdas/core/model/node';
import { deleteTenant } from './leftovers';
import {
  type CallOptions,
  call,
  listNodes,
  type Node,
  parsed,
  type Reply,
  shown,
  type Target,
  targetFromEnv,
} from './target';

export { type Node, parsed, REQUIRED_SCHEDULABLE_NODES } from './target';

declare module 'vitest' {
  export interface ProvidedContext {
    /** 12 hex digits every tenant of this run starts with, so teardown can find leftovers. */
    tenantPrefix: string;
  }
}

const executionId = z.strictObject({ execution_id: z.string().min(1) });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DeployedApi {
  readonly target: Target;
  private readonly tenants = new Set<string>();

  constructor(target: Target = targetFromEnv()) {
    this.target = target;
  }

  call(method: string, path: string, opts?: CallOptions): Promise<Reply> {
    return call(this.target, method, path, opts);
  }

  /** A fresh tenant id in this run's range, remembered: cleanUp() deletes whatever was made with it. */
  newTenantId(): string {
    const tenantId = inject('tenantPrefix') + randomBytes(10).toString('hex');
    this.tenants.add(tenantId);
    return tenantId;
  }

  /** Creates a tenant (count 0: unsharded) and remembers it for cleanUp(). */
  async createTenant(count = 0, extra: Record<string, unknown> = {}): Promise<string> {
    const tenantId = this.newTenantId();
    const reply = await this.call('POST', '/v1/tenant', {
      body: { new_tenant_id: tenantId, shard_parameters: { count, stripe_size: 32768 }, ...extra },
    });
    if (reply.status !== 201) throw new Error(`creating tenant ${tenantId}: ${shown(reply)}`);
    parsed(tenantCreateOut, reply);
    return tenantId;
  }

  /** Deletes a tenant (calling again while it is still going) and checks it is gone. */
  async deleteTenant(tenantId: string): Promise<void> {
    await deleteTenant(this.target, tenantId);
    this.tenants.delete(tenantId);
  }

  /** Deletes every tenant this object created; fails naming the ones it could not. */
  async cleanUp(): Promise<void> {
    const failures: string[] = [];
    for (const tenantId of [...this.tenants]) {
      await this.deleteTenant(tenantId).catch((error: Error) => failures.push(error.message));
    }
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join('; ')}`);
  }

  /**
   * A workflow route's answer, followed to its end: 200 is the result; 202 names an execution,
   * polled until it stops (its output is the result; a failure throws with the execution's error).
   */
  async settle(reply: Reply, budgetMs = 150_000): Promise<unknown> {
    if (reply.status === 200) return reply.body;
    if (reply.status !== 202) throw new Error(`expected 200 or 202, got ${shown(reply)}`);
    const { execution_id } = parsed(executionId, reply);
    const deadline = Date.now() + budgetMs;
    for (;;) {
      const described = await this.call('GET', `/debug/v1/workflows/${encodeURIComponent(execution_id)}`);
      const execution = parsed(workflowDetailOut, described);
      if (execution.status === 'SUCCEEDED') return execution.output;
      if (execution.status !== 'RUNNING') {
        throw new Error(`execution ${execution_id} ${execution.status}: ${JSON.stringify(execution.error)}`);
      }
      if (Date.now() > deadline)
        throw new Error(`execution ${execution_id} still running after ${budgetMs} ms`);
      await sleep(1_000);
    }
  }

  nodes(): Promise<Node[]> {
    return listNodes(this.target);
  }

  /** Nodes that may take shards: Active, and scheduling Active or Filling. */
  async schedulableNodes(): Promise<Node[]> {
    return (await this.nodes()).filter(maySchedule);
  }
}
