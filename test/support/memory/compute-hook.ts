// A fake compute hook: records what it was asked to deliver, answers from a script (ok by
// default), and can run a hook at delivery time (to change the world while a notification is in
// flight).
import type { ComputeHook, ComputeHookResult, ComputeNotification } from '../../../lambdas/core/ports';
import { copy } from './clone';

export class FakeComputeHook implements ComputeHook {
  /** Every call, delivered or not. */
  readonly attempts: ComputeNotification[] = [];
  /** Calls that were answered ok. */
  readonly delivered: ComputeNotification[] = [];
  private readonly script: ComputeHookResult[] = [];
  onNotify?: (notification: ComputeNotification) => void | Promise<void>;

  /** The next calls answer these, in order; later ones answer ok. */
  answer(...results: ComputeHookResult[]): void {
    this.script.push(...results);
  }

  /** The next `times` calls fail (transiently unless fatal). */
  fail(times = 1, fatal = false, message = 'hook refused'): void {
    for (let i = 0; i < times; i++) this.script.push({ ok: false, fatal, message });
  }

  async notify(notification: ComputeNotification, _deadline: number): Promise<ComputeHookResult> {
    this.attempts.push(copy(notification));
    await this.onNotify?.(notification);
    const result = this.script.shift() ?? { ok: true };
    if (result.ok) this.delivered.push(copy(notification));
    return result;
  }
}
