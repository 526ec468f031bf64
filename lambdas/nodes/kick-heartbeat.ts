// After a re-attach: a heartbeat execution for that node alone, beating every second until the
// node answers (Active) or the window ends, so that a healthy restarted node is schedulable again
// within about a second instead of at the next scheduled pass. Best effort: if it cannot start,
// the scheduled passes still activate the node.
import type { AppContext } from '../app/context';
import { executionName } from '../core/execution-names';

/** Beats every second for at most this long (Express executions end within 5 minutes anyway). */
const KICK_WINDOW_SECONDS = 60;

export async function kickHeartbeat(context: AppContext, nodeId: number): Promise<void> {
  try {
    await context.workflows.start('heartbeat', executionName('heartbeat', ['node', nodeId]), {
      nodes: [nodeId],
      interval: 1,
      window: Math.min(KICK_WINDOW_SECONDS, context.heartbeat.maxWarmingUpSeconds),
    });
  } catch (error) {
    context.log.warn('heartbeat after re-attach not started', {
      node: nodeId,
      error: (error as Error).message,
    });
  }
}
