// Fault injection for simulated servers: make matching requests fail with a status for the next
// N calls, answer late, or hang until the fault is cleared or the server stops.
import * as z from 'zod';

export const faultSchema = z
  .object({
    /** Only requests with this method (any if absent). */
    method: z.string().toUpperCase().optional(),
    /** Only requests whose path matches this regular expression (any if absent). */
    path: z.string().optional(),
    /** Answer with this status and {"msg"} body instead of serving. */
    status: z.number().int().min(100).max(599).optional(),
    /** How many matching requests the fault applies to (forever if absent). */
    count: z.number().int().positive().optional(),
    /** Wait this long before handling. */
    delayMs: z.number().int().nonnegative().optional(),
    /** Never answer. */
    hang: z.boolean().optional(),
  })
  .strict();

export type Fault = z.infer<typeof faultSchema>;

interface ActiveFault extends Fault {
  remaining: number;
  pattern?: RegExp;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'fail'; status: number }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };

export class FaultInjector {
  private faults: ActiveFault[] = [];

  add(fault: Fault): void {
    this.faults.push({
      ...fault,
      remaining: fault.count ?? Number.POSITIVE_INFINITY,
      pattern: fault.path ? new RegExp(fault.path) : undefined,
    });
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map(({ remaining: _r, pattern: _p, ...fault }) => fault);
  }

  /** The fault for a request, consuming one use of it. */
  decide(method: string, path: string): FaultDecision {
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.method && fault.method !== method) continue;
      if (fault.pattern && !fault.pattern.test(path)) continue;
      fault.remaining -= 1;
      if (fault.hang) return { kind: 'hang' };
      if (fault.status !== undefined) return { kind: 'fail', status: fault.status };
      if (fault.delayMs !== undefined) return { kind: 'delay', ms: fault.delayMs };
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return { kind: 'none' };
  }
}
