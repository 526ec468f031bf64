// The debug passes: one reconcile-all pass now, and the consistency check.
import type { Command } from 'commander';
import { action } from '../context';
import type { Io } from '../output';

export function registerDebugCommands(program: Command, io: Io): void {
  program
    .command('reconcile-all')
    .description('Run one reconcile pass now; prints how many reconciles it started (0 when idle)')
    .action(
      action(io, async ({ client, out }) => {
        const reply = await client.request('POST', '/debug/v1/reconcile_all');
        out.say(`Reconciles started: ${JSON.stringify(reply.body)}`, reply.body);
      }),
    );

  program
    .command('consistency-check')
    .description("Check the scheduler's counters against the shards (exit 1 listing each mismatch)")
    .action(
      action(io, async ({ client, out }) => {
        await client.request('POST', '/debug/v1/consistency_check');
        out.say('Consistency check passed', { consistent: true });
      }),
    );
}
