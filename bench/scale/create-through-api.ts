// Creates the fleet through POST /v1/tenant with bounded concurrency, one phase per tenant size,
// counting DynamoDB calls per phase. Busy answers (503 with retry-after, gateway timeouts, 429)
// are retried; a 409 after a retry means an earlier attempt got through.
import { randomUUID } from 'node:crypto';
import { mapLimited } from '../../lambdas/core/concurrency';
import { DEFAULT_STRIPE_SIZE } from '../../lambdas/core/ids';
import { type CallCounts, DynamoCallCounter } from './dynamo-calls';
import type { MixEntry } from './options';

export interface PlannedTenant {
  tenantId: string;
  shardsEach: number;
}

export const newTenantId = (): string => randomUUID().replace(/-/g, '');

/** One list of tenants per mix entry. */
export function planFleet(mix: MixEntry[]): PlannedTenant[][] {
  return mix.map((e) =>
    Array.from({ length: e.tenants }, () => ({ tenantId: newTenantId(), shardsEach: e.shardsEach })),
  );
}

/** The count literal for `shardsEach` shards: 0 (legacy unsharded) for one. */
export const countLiteral = (shardsEach: number): number => (shardsEach === 1 ? 0 : shardsEach);

export interface CreatePhase {
  shardsEach: number;
  tenants: number;
  ms: number;
  calls: CallCounts;
  /** Attempts answered busy (or not at all) and tried again. */
  retries: number;
  /** A retried create found the tenant already there. */
  existed: number;
  failed: number;
  firstFailures: string[];
  /** CPU seconds the phase used: this process (controller, simulators, bench) and DynamoDB Local. */
  cpu: { bench: number; dynamo: number | null };
}

export type CpuClock = () => { bench: number; dynamo: number | null };

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
const MAX_ATTEMPTS = 10;

async function createOne(
  url: string,
  tenant: PlannedTenant,
  secondaries: number,
  phase: CreatePhase,
): Promise<void> {
  const body = JSON.stringify({
    new_tenant_id: tenant.tenantId,
    ...(tenant.shardsEach > 1
      ? { shard_parameters: { count: tenant.shardsEach, stripe_size: DEFAULT_STRIPE_SIZE } }
      : {}),
    placement_policy: { Attached: secondaries },
  });
  let last = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let status = 0;
    let retryAfter: string | null = null;
    try {
      const res = await fetch(`${url}/v1/tenant`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      last = `HTTP ${status} ${(await res.text()).slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (status === 201) return;
    if (status === 409 && attempt > 1) {
      phase.existed += 1;
      return;
    }
    if (status !== 0 && !RETRYABLE.has(status)) break;
    if (attempt === MAX_ATTEMPTS) break;
    phase.retries += 1;
    const hinted = Number(retryAfter) * 1000;
    const backoff = Math.min(100 * 2 ** attempt, 5_000);
    const pause = Number.isFinite(hinted) && hinted > 0 ? hinted : backoff;
    await new Promise((r) => setTimeout(r, pause * (0.5 + Math.random() / 2)));
  }
  phase.failed += 1;
  if (phase.firstFailures.length < 3) phase.firstFailures.push(`${tenant.tenantId}: ${last}`);
}

export async function createThroughApi(
  url: string,
  plan: PlannedTenant[][],
  options: { concurrency: number; secondaries: number },
  counter: DynamoCallCounter,
  cpu: CpuClock,
  progress: (message: string) => void,
): Promise<CreatePhase[]> {
  const phases: CreatePhase[] = [];
  for (const tenants of plan) {
    if (tenants.length === 0) continue;
    const phase: CreatePhase = {
      shardsEach: tenants[0]!.shardsEach,
      tenants: tenants.length,
      ms: 0,
      calls: counter.snapshot(),
      retries: 0,
      existed: 0,
      failed: 0,
      firstFailures: [],
      cpu: { bench: 0, dynamo: null },
    };
    const before = counter.snapshot();
    const cpuBefore = cpu();
    const started = performance.now();
    let done = 0;
    const ticker = setInterval(() => {
      const s = (performance.now() - started) / 1000;
      progress(
        `  ${tenants[0]!.shardsEach}-shard creates: ${done}/${tenants.length} (${(done / s).toFixed(0)}/s, ${phase.retries} retries, ${phase.failed} failed)`,
      );
    }, 15_000);
    try {
      await mapLimited(tenants, options.concurrency, async (tenant) => {
        await createOne(url, tenant, options.secondaries, phase);
        done += 1;
      });
    } finally {
      clearInterval(ticker);
    }
    phase.ms = performance.now() - started;
    phase.calls = DynamoCallCounter.since(before, counter.snapshot());
    const cpuAfter = cpu();
    phase.cpu = {
      bench: cpuAfter.bench - cpuBefore.bench,
      dynamo:
        cpuAfter.dynamo === null || cpuBefore.dynamo === null ? null : cpuAfter.dynamo - cpuBefore.dynamo,
    };
    phases.push(phase);
  }
  return phases;
}
