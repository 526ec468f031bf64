// `storcon`: the operator CLI (bin/storcon/). `npx storcon --help` runs it through bin/storcon.mjs.
import { runCli } from './storcon/main';
import { processIo } from './storcon/output';

process.exitCode = await runCli(process.argv.slice(2), processIo);
