// Run by `npm run lint`: fails (exit 1) on an upward import, a forbidden package, an import
// cycle, an oversized file, or a route table API Gateway would refuse to deploy.
import { join } from 'node:path';
import { routeTableProblems } from '../lambdas/api/route-rules';
import { ROUTES } from '../lambdas/api/route-table';
import { checkArchitecture, readSources } from './architecture';

const root = join(import.meta.dirname, '..');
const violations = checkArchitecture(
  readSources(root, [
    'lambdas',
    'local',
    'lib',
    'bin',
    'tools',
    'bench',
    'statemachines',
    'compaction',
    'test',
  ]),
);
for (const v of violations) console.error(`${v.file}: ${v.message}`);
const routeProblems = routeTableProblems(ROUTES);
for (const problem of routeProblems) console.error(`lambdas/api/route-table.ts: ${problem}`);
if (violations.length > 0 || routeProblems.length > 0) {
  console.error(
    `${violations.length} architecture violation(s), ${routeProblems.length} route table problem(s)`,
  );
  process.exit(1);
}
console.log('architecture: layers, packages, cycles and file sizes ok; route table deployable');
