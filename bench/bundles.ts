// Each Lambda bundle's minified size and module import time (goal: ≤ 300 KB and ≤ 100 ms). Bundled
// as CDK's NodejsFunction does: esbuild, minified, CommonJS for Node 22, the AWS SDK external
// (the runtime provides it). Prints figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const handlersDir = join(import.meta.dirname, '..', 'lambdas', 'handlers');
const entries = readdirSync(handlersDir).filter((f) => f.endsWith('.ts') && f !== 'aws-services.ts');
const out = mkdtempSync(join(tmpdir(), 'bundles-'));

console.log('| bundle | minified size | import time |');
console.log('|---|---:|---:|');
for (const entry of entries) {
  const name = entry.replace('.ts', '');
  const file = join(out, `${name}.cjs`);
  await build({
    entryPoints: [join(handlersDir, entry)],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    outfile: file,
    logLevel: 'error',
  });
  const size = statSync(file).size;
  // A fresh process per measurement: what a cold start pays to load the module.
  const probe = join(out, `${name}-probe.cjs`);
  writeFileSync(
    probe,
    `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
  );
  const runs = [0, 1, 2].map(() =>
    Number(
      execFileSync(process.execPath, [probe], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, NODE_PATH: join(import.meta.dirname, '..', 'node_modules') },
      }).toString(),
    ),
  );
  const ms = Math.min(...runs);
  console.log(`| ${name} | ${(size / 1024).toFixed(1)} KB | ${ms.toFixed(1)} ms |`);
}
