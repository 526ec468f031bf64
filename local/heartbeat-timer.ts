// Heartbeats in the embedded runtime. On AWS an Express workflow is started every minute and beats
// every interval; here the same task runs on a timer, one beat at a time (a call made while a beat
// runs joins it).
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../lambdas/app/context';
import { taskHandler } from '../lambdas/tasks/registry';
import type { BeatResult } from '../lambdas/workflows/heartbeat/tasks';

export interface HeartbeatTimer {
  /** One pass now; null if it failed (logged). */
  beatNow(): Promise<BeatResult | null>;
  /** Stops the timer; a beat in progress ends on its own (as a Lambda outliving its caller). */
  stop(): void;
}

export function startHeartbeatTimer(services: AppContext, log: (message: string) => void): HeartbeatTimer {
  const task = taskHandler('Heartbeat')!;
  let beating: Promise<BeatResult | null> | null = null;
  const beatNow = (): Promise<BeatResult | null> => {
    beating ??= (async () => {
      try {
        const input = {
          nodes: null,
          interval: services.heartbeat.intervalSeconds,
          window: 0,
          execution: `heartbeat-local-${randomUUID().slice(0, 8)}`,
        };
        return (await task(input, services)) as BeatResult;
      } catch (error) {
        log(`heartbeat failed: ${(error as Error).message}`);
        return null;
      } finally {
        beating = null;
      }
    })();
    return beating;
  };
  const timer = setInterval(() => {
    if (!beating) void beatNow();
  }, services.heartbeat.intervalSeconds * 1000);
  timer.unref();
  return {
    beatNow,
    stop() {
      clearInterval(timer);
    },
  };
}
