// storcon: the operator CLI of the storage controller (the reference's storcon_cli, plus workflow
// watching and rolling restarts). Every command is a call or a few calls to the HTTP API.
import { Command, CommanderError, Option } from 'commander';
import { ApiError, UnreachableError } from './client';
import { registerDebugCommands } from './commands/debug';
import { registerDrainFillCommands } from './commands/drain-fill';
import { registerNodeCommands } from './commands/nodes';
import { registerRollingRestart } from './commands/rolling-restart';
import { registerShardCommands } from './commands/shards';
import { registerTenantConfigCommands } from './commands/tenant-config';
import { registerTenantCommands } from './commands/tenants';
import { registerWorkflowCommands } from './commands/workflows';
import { UsageError } from './context';
import type { Io } from './output';

export const DEFAULT_API = 'http://127.0.0.1:1234';

export function buildProgram(io: Io): Command {
  const program = new Command()
    .name('storcon')
    .description('Operate the storage controller: nodes, tenants, shards, drains and fills, workflows.')
    .addOption(
      new Option('--api <url>', 'controller URL (the local stack or an API Gateway URL)')
        .env('STORCON_API')
        .default(DEFAULT_API),
    )
    .addOption(new Option('--token <jwt>', 'JWT sent as Bearer token (scope admin)').env('STORCON_TOKEN'))
    .addOption(new Option('--jwt <jwt>', 'the reference CLI name of --token').hideHelp())
    .option('--json', 'print the result as JSON, for scripts')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();
  registerNodeCommands(program, io);
  registerDrainFillCommands(program, io);
  registerTenantCommands(program, io);
  registerShardCommands(program, io);
  registerTenantConfigCommands(program, io);
  registerDebugCommands(program, io);
  registerWorkflowCommands(program, io);
  registerRollingRestart(program, io);
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return program;
}

/**
 * Runs the CLI; resolves to the exit code: 0 done, 1 the server refused (4xx/5xx, its message
 * printed) or the operation failed or timed out, 2 bad usage.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every parse error is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr(`storcon: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ApiError) {
      io.stderr(`storcon: ${error.method} ${error.path} failed: ${error.status} ${error.serverMessage}\n`);
      return 1;
    }
    if (error instanceof UnreachableError) {
      io.stderr(`storcon: ${error.message}\n`);
      return 1;
    }
    io.stderr(`storcon: ${(error as Error).message}\n`);
    return 1;
  }
}
