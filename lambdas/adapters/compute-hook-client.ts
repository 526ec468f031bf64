// Delivers compute notifications to the control plane (reference/wire-formats.md §8), with the
// retry rules of the issue: 429, 423, 502-504 and transport errors are retried with backoff
// within the caller's deadline; 400/401/403/404 are fatal; anything else fails this attempt
// and is left for the next reconcile (the shard keeps its pending flag).
import type { ComputeHook, ComputeHookResult, ComputeNotification } from '../core/ports';

export interface ComputeHookClientOptions {
  url: string;
  /** Control-plane token; never logged. */
  token?: string;
  /** One attempt's own timeout. */
  attemptTimeoutMs?: number;
}

const FATAL = new Set([400, 401, 403, 404]);
const RETRYABLE = new Set([423, 429, 502, 503, 504]);

/** min(1.1^n, 3) seconds before retry n (n ≥ 1), as the original's backoff. */
export function backoffMs(retry: number): number {
  return retry <= 1 ? 0 : Math.min(1.1 ** (retry - 1), 3) * 1000;
}

export class ComputeHookClient implements ComputeHook {
  constructor(private readonly options: ComputeHookClientOptions) {}

  async notify(notification: ComputeNotification, deadline: number): Promise<ComputeHookResult> {
    let lastMessage = 'deadline passed before the first attempt';
    for (let retry = 0; ; retry++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { ok: false, fatal: false, message: lastMessage };
      let extraDelay = 0;
      try {
        const res = await fetch(this.options.url, {
          method: 'PUT',
          headers: {
            'content-type': 'application/json',
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
          },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(Math.min(remaining, this.options.attemptTimeoutMs ?? 10_000)),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) return { ok: true };
        lastMessage = `compute hook answered ${res.status}`;
        if (FATAL.has(res.status)) return { ok: false, fatal: true, message: lastMessage };
        if (!RETRYABLE.has(res.status)) return { ok: false, fatal: false, message: lastMessage };
        if (res.status === 429) extraDelay = 5000;
        if (res.status === 423) extraDelay = 1000;
      } catch (error) {
        lastMessage = `compute hook unreachable: ${(error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message}`;
      }
      const pause = Math.max(backoffMs(retry + 1), extraDelay);
      if (Date.now() + pause >= deadline) return { ok: false, fatal: false, message: lastMessage };
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
