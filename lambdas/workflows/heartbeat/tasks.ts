// The heartbeat workflow's one task: a pass over the nodes (nodes/heartbeat.ts), and whether the
// execution should beat again. On AWS one Express execution per minute (EventBridge's least rate)
// beats every `interval` seconds for `window` seconds; a re-attach starts one for its node alone,
// which stops once the node is no longer warming up. Locally a timer runs the same task.
import * as z from 'zod';
import { defineTask } from '../../app/task';
import { anotherBeatFits } from '../../core/heartbeat';
import { heartbeatPass } from '../../nodes/heartbeat';

export const heartbeatInput = z.looseObject({
  /** Only these nodes (a re-attach's); null or absent: every node. */
  nodes: z.array(z.number().int().nonnegative()).nullish(),
  /** Seconds between beats of this execution (the Wait state's). */
  interval: z.number().positive(),
  /** Seconds from the execution's start within which beats may start; 0 for one beat. */
  window: z.number().nonnegative(),
  /** The execution's start ($$.Execution.StartTime); absent: now. */
  started: z.string().nullish(),
  execution: z.string(),
});

/** What a beat answers: whether to beat again, and what changed or failed. */
export interface BeatResult {
  continue: boolean;
  transitions: Array<{ node: number; to: string }>;
  failing: number[];
}

export const heartbeatTasks = [
  defineTask({
    name: 'Heartbeat',
    input: heartbeatInput,
    // Probes take at most ~4.5 s; a failover or activation gets the rest of the code budget.
    budgetSeconds: 25,
    table: 'write',
    // A node that went Offline but still serves has its shards live-migrated (nodeWentOffline).
    starts: ['migrate'],
    watches: ['migrate'],
    run: async (input, context): Promise<BeatResult> => {
      const outcomes = await heartbeatPass(context, { nodeIds: input.nodes ?? null, owner: input.execution });
      const started = input.started ? Date.parse(input.started) : Date.now();
      // A re-attach's execution is done once its node has answered (or has gone Offline).
      const settled = input.nodes ? outcomes.every((o) => o.availability !== 'WarmingUp') : false;
      return {
        continue: !settled && anotherBeatFits(started, Date.now(), input.window, input.interval),
        // Only what changed or failed: the state stays small whatever the fleet's size.
        transitions: outcomes.filter((o) => o.transition).map((o) => ({ node: o.node, to: o.availability })),
        failing: outcomes.filter((o) => o.error).map((o) => o.node),
      };
    },
  }),
];
