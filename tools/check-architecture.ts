// Run by `npm run lint`: fails (exit 1) on an upward import, a forbidden package, an import
// cycle or an oversized file.
import { join } from 'node:path';
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
if (violations.length > 0) {
  console.error(`${violations.length} architecture violation(s)`);
  process.exit(1);
}
console.log('architecture: layers, packages, cycles and file sizes ok');
