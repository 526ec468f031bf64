// `npm start`: the whole storage controller on this machine. Flags win over environment variables.
import { resolveLocalOptions } from './options';
import { type LocalStack, startLocalStack } from './stack';

// These machines run Node 20 (Lambda runs 22); the SDK's upgrade notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let options: ReturnType<typeof resolveLocalOptions>;
try {
  options = resolveLocalOptions(process.argv.slice(2), process.env);
} catch (error) {
  // commander has printed the problem and the help already (a bad environment value lands here too).
  console.error((error as Error).message);
  process.exit(2);
}

const log = (message: string) => console.log(`[local] ${message}`);
let stack: LocalStack | undefined;
let stopping = false;

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  // While still starting, the start sequence sees `stopping` and stops what it started.
  if (!stack) return;
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startLocalStack({ ...options, log });
  if (stopping) {
    await stack.stop();
    process.exit(0);
  } else {
    for (const ps of stack.fleet.pageservers) log(`pageserver ${ps.nodeId} at ${ps.baseUrl}`);
    if (stack.computeHook)
      log(`compute hook receiver at ${stack.computeHookUrl} (GET /sim/v1/notifications)`);
    console.log(`storage controller ready at ${stack.url} (${stack.readyMs} ms)`);
  }
} catch (error) {
  console.error(`failed to start: ${(error as Error).message}`);
  process.exit(1);
}
