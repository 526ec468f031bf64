// What every command gets: the client for --api/--token, and the output for --json.
import type { Command } from 'commander';
import { ApiClient } from './client';
import { type Io, Output } from './output';

export interface Ctx {
  client: ApiClient;
  out: Output;
  io: Io;
}

interface GlobalOptions {
  api: string;
  token?: string;
  jwt?: string;
  json?: boolean;
}

export function contextOf(command: Command, io: Io): Ctx {
  const opts = command.optsWithGlobals<GlobalOptions>();
  return {
    client: new ApiClient(opts.api, opts.token ?? opts.jwt),
    out: new Output(io, Boolean(opts.json)),
    io,
  };
}

/** A command's action with its context, its own options and its positional arguments. */
export function action<O>(io: Io, run: (ctx: Ctx, opts: O, args: string[]) => Promise<void>) {
  return async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const opts = received.at(-2) as O;
    await run(contextOf(command, io), opts, command.args);
  };
}

/** Refused before any call: exits 2, as a bad option does. */
export class UsageError extends Error {
  override name = 'UsageError';
}
