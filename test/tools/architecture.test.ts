// The layering rule holds for the tree, and the check catches what it is for: an upward import,
// a forbidden package in the core, an import cycle, an oversized file.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkArchitecture, MAX_LINES, readSources, type SourceFile } from '../../tools/architecture';

const root = join(import.meta.dirname, '..', '..');
const file = (path: string, ...imports: string[]): SourceFile => ({
  path,
  text: imports.map((spec) => `import { x } from '${spec}';`).join('\n'),
});

describe('architecture check', () => {
  it('finds nothing wrong in the tree', () => {
    const violations = checkArchitecture(readSources(root, ['lambdas', 'local', 'lib', 'bin', 'tools']));
    expect(violations.filter((v) => v.file.startsWith('lambdas/'))).toEqual([]);
  });

  it('refuses an upward import (core → api), and a feature importing an adapter', () => {
    const violations = checkArchitecture([
      file('lambdas/core/ids.ts', '../api/route'),
      file('lambdas/api/route.ts'),
      file('lambdas/tenants/create-tenant.ts', '../adapters/pageserver-client'),
      file('lambdas/adapters/pageserver-client.ts'),
    ]);
    expect(violations.map((v) => v.message)).toEqual([
      'core may not import entry (lambdas/api/route.ts)',
      'features may not import adapters (lambdas/adapters/pageserver-client.ts)',
    ]);
  });

  it('allows downward imports', () => {
    const violations = checkArchitecture([
      file('lambdas/handlers/tenant.ts', '../api/route', '../adapters/config'),
      file('lambdas/api/route.ts', '../tenants/create-tenant'),
      file('lambdas/tenants/create-tenant.ts', '../app/context', '../core/ids'),
      file('lambdas/app/context.ts', '../core/ids'),
      file('lambdas/adapters/config.ts', '../core/ids'),
      file('lambdas/core/ids.ts', 'zod'),
    ]);
    expect(violations).toEqual([]);
  });

  it('keeps SDKs and HTTP out of the core and the features', () => {
    const violations = checkArchitecture([
      file('lambdas/core/ids.ts', '@aws-sdk/lib-dynamodb'),
      file('lambdas/reconciler/reconcile-shard.ts', 'node:http'),
    ]);
    expect(violations.map((v) => v.message)).toEqual([
      'core may not import package @aws-sdk/lib-dynamodb',
      'features may not import package node:http',
    ]);
  });

  it('finds an import cycle, type-only imports included', () => {
    const violations = checkArchitecture([
      { path: 'lambdas/tenants/a.ts', text: "import type { B } from './b';" },
      { path: 'lambdas/tenants/b.ts', text: "import { a } from './a';" },
    ]);
    expect(violations.map((v) => v.message)).toEqual([
      'import cycle: lambdas/tenants/a.ts → lambdas/tenants/b.ts → lambdas/tenants/a.ts',
    ]);
  });

  it('finds a file over the size limit', () => {
    const long: SourceFile = { path: 'local/big.ts', text: 'x;\n'.repeat(MAX_LINES) };
    expect(checkArchitecture([long]).map((v) => v.message)).toEqual([
      `${MAX_LINES + 1} lines (limit ${MAX_LINES})`,
    ]);
  });
});
