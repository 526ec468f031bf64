// Fault injection for simulated servers. A fault matches requests (method, path) for the next N
// calls (or forever) and then, by kind:
// - fails them with a status, answers late, or hangs (until cleared, or `dropAfterMs` then drops
//   the connection without having served the call: "hang then drop");
// - serves them but loses the answer (`applyThenDrop`: the call takes effect, then the connection
//   drops, at once or after `dropAfterMs`): the caller cannot tell it from a call that never arrived;
// - restarts the server (`restart`): the call gets 503, the server is down for `downMs`, re-attaches
//   and answers 503 for `startingMs` more, as a real pageserver does while it loads its tenants;
// - makes a pageserver refuse a location_config in a lower generation than the one it runs
//   (`refuseLowerGeneration`, 400 as newer pageservers answer). By default a simulated pageserver
//   obeys whatever generation it is told: fencing is remote storage's and validate's job.
import * as z from 'zod';

const restartSchema = z
  .object({
    /** How long the server is down (connections refused) before it starts again. */
    downMs: z.number().int().nonnegative().max(60_000).optional(),
    /** After its re-attach, how long it still answers 503 to tenant calls. */
    startingMs: z.number().int().nonnegative().max(60_000).optional(),
  })
  .strict();

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
    /** Never answer (or, with dropAfterMs, drop the connection after that long without serving). */
    hang: z.boolean().optional(),
    /** Serve the call, then drop the connection instead of answering (after dropAfterMs if set). */
    applyThenDrop: z.boolean().optional(),
    /** With hang or applyThenDrop: drop the connection after this long. */
    dropAfterMs: z.number().int().nonnegative().max(600_000).optional(),
    /** A matching call gets 503 and restarts the server (pageservers only). */
    restart: restartSchema.optional(),
    /** Refuse a location_config in a generation lower than the attached one (pageservers only). */
    refuseLowerGeneration: z.boolean().optional(),
  })
  .strict();

export type Fault = z.infer<typeof faultSchema>;
export type RestartPlan = z.infer<typeof restartSchema>;

interface ActiveFault extends Fault {
  remaining: number;
  pattern?: RegExp;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'fail'; status: number }
  | { kind: 'hang'; dropAfterMs?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'applyThenDrop'; dropAfterMs: number }
  | { kind: 'restart'; plan: RestartPlan };

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

  private matching(method: string, path: string, refusal: boolean): ActiveFault | undefined {
    return this.faults.find(
      (fault) =>
        fault.remaining > 0 &&
        Boolean(fault.refuseLowerGeneration) === refusal &&
        (!fault.method || fault.method === method) &&
        (!fault.pattern || fault.pattern.test(path)),
    );
  }

  private consume(fault: ActiveFault): void {
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f.remaining > 0);
  }

  /** The fault for a request, consuming one use of it. */
  decide(method: string, path: string): FaultDecision {
    const fault = this.matching(method, path, false);
    if (!fault) return { kind: 'none' };
    this.consume(fault);
    if (fault.restart) return { kind: 'restart', plan: fault.restart };
    if (fault.hang) return { kind: 'hang', dropAfterMs: fault.dropAfterMs };
    if (fault.applyThenDrop) return { kind: 'applyThenDrop', dropAfterMs: fault.dropAfterMs ?? 0 };
    if (fault.status !== undefined) return { kind: 'fail', status: fault.status };
    if (fault.delayMs !== undefined) return { kind: 'delay', ms: fault.delayMs };
    return { kind: 'none' };
  }

  /** Whether a lower-generation call should be refused, consuming one use of that fault. */
  refuseLowerGeneration(method: string, path: string): boolean {
    const fault = this.matching(method, path, true);
    if (!fault) return false;
    this.consume(fault);
    return true;
  }
}
