// The reference's graceful rolling restart at its scale gate's shape: 6 simulated pageservers,
// 1 000 shards (Attached(1): each with a secondary), seeded converged in bulk, then drain →
// restart → fill node by node through the API. Prints the duration, each node's figures and the
// longest time any shard was without an attached location.
// `npm run bench:rolling-restart [-- --shards 1000]`.
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../lambdas/adapters/dynamo/client';
import { ensureTable } from '../lambdas/adapters/dynamo/create-table';
import { formatTenantShardId, shardsOfCount } from '../lambdas/core/ids';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { startLocalStack } from '../local/stack';
import { rollingRestart } from './rolling-restart/scenario';
import { countLiteral, planFleet } from './scale/create-through-api';
import { seedFleet } from './scale/seed';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const args = process.argv.slice(2);
const shardsWanted = Number(args[args.indexOf('--shards') + 1] || 1000);
const say = (line: string) => console.log(line);

// The reference's mix, scaled: one in five shards belongs to an 8-shard tenant.
const eightShard = Math.round(shardsWanted / 5 / 8);
const single = shardsWanted - eightShard * 8;
const dynamo = await startDynamoDbLocal({});
const doc = createDocumentClient({ endpoint: dynamo.endpoint });
const tableName = `rolling-restart-${randomUUID()}`;
await ensureTable(doc, tableName);
const plan = planFleet([
  { tenants: single, shardsEach: 1 },
  { tenants: eightShard, shardsEach: 8 },
]);
const seeded = await seedFleet(doc, tableName, plan, { pageservers: 6, secondaries: 1, concurrency: 8 }, say);
const shards = plan
  .flat()
  .flatMap((t) => shardsOfCount(t.tenantId, countLiteral(t.shardsEach)).map(formatTenantShardId));
say(`seeded ${shards.length} shards (Attached(1)) on 6 nodes in ${Math.round(seeded.ms)} ms`);

const stack = await startLocalStack({
  host: '127.0.0.1',
  port: 0,
  pageservers: 6,
  dynamodbEndpoint: dynamo.endpoint,
  tableName,
  pageserverDisks: seeded.disks,
  reconcileIntervalSeconds: 20,
});
try {
  // The seeding scheduler weighs attached and secondary locations alike, so the fleet may start
  // with its attachments uneven; each fill brings its node to the mean, the last one evens all.
  const before = stack.fleet.pageservers.map(
    (ps) => ps.locations().filter((l) => l.conf.mode === 'AttachedSingle').length,
  );
  say(`attached per node before: ${before.join('/')}`);
  const result = await rollingRestart(stack, shards, {
    operationLimitMs: 240_000,
    sampleEveryMs: 20,
    log: say,
  });
  const check = await fetch(`${stack.url}/debug/v1/consistency_check`, { method: 'POST' });
  say('');
  say(`rolling restart of 6 nodes, ${shards.length} shards: ${(result.ms / 1000).toFixed(1)} s`);
  for (const r of result.rounds)
    say(
      `  node ${r.node} (${r.executions} executions): drain ${(r.drainMs / 1000).toFixed(1)} s, restart → Active ${(r.restartMs / 1000).toFixed(1)} s, fill ${(r.fillMs / 1000).toFixed(1)} s; after drain ${r.attachedAfterDrain} attached (total ${r.totalAfterDrain}); after fill ${r.countsAfterFill.join('/')} (${r.balancedAfterFill ? 'balanced' : 'NOT balanced'}); ${r.progress}`,
    );
  say(
    `longest time any shard had no attached location: ${Math.round(result.longestGapMs)} ms (sampled every 20 ms; ${result.shardsWithGap} shards ever seen without one, ${result.samples} samples)`,
  );
  say(`consistency check: ${check.status}`);
} finally {
  await stack.stop();
  await dynamo.stop();
}
