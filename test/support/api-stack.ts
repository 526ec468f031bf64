// A local stack for API tests: the run's DynamoDB Local, a fresh table, the real gateway.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

export interface TestApi {
  stack: LocalStack;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export async function startTestApi(options: Partial<LocalStackOptions> = {}): Promise<TestApi> {
  const stack = await startLocalStack({
    host: '127.0.0.1',
    port: 0,
    pageservers: 0,
    dynamodbEndpoint: inject('dynamoEndpoint'),
    tableName: `api-${randomUUID()}`,
    readinessWaitMs: 2_000,
    // Tests run reconcile-all passes themselves (stack.reconcileAllNow) when they need one.
    reconcileIntervalSeconds: 3600,
    // Likewise heartbeats (stack.heartbeatNow); a re-attach still starts its node's own.
    heartbeatIntervalSeconds: 3600,
    // A reply that does not match its route's declared schema fails the test with a 500.
    validateResponses: true,
    ...options,
  });
  return {
    stack,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${stack.url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    stop: () => stack.stop(),
  };
}

/** The end-of-test invariants: the consistency check passes and generation fencing held. */
export async function expectConsistent(api: TestApi): Promise<void> {
  // The check reads shards, memberships and pageservers one after another, not at one instant:
  // a migration the optimizer started may still be moving a shard (its items change between the
  // reads). A real inconsistency stays; a moving shard settles within seconds.
  let check = await api.call('POST', '/debug/v1/consistency_check');
  for (let i = 0; i < 10 && check.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 500));
    check = await api.call('POST', '/debug/v1/consistency_check');
  }
  if (check.status !== 200) throw new Error(`consistency check failed: ${check.text}`);
  const violations = api.stack.fleet.safetyViolations();
  if (violations.length > 0) throw new Error(`generation safety violated: ${violations.join('; ')}`);
}

export function randomTenantId(): string {
  return randomUUID().replace(/-/g, '');
}
