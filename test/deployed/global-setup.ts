// The run's preflight (again, for runs that start vitest directly) and the tenant id prefix its
// tests use: bin/test-deployed.ts chooses it, to look for leftovers once vitest has finished.
import type { TestProject } from 'vitest/node';
import { newTenantPrefix } from './support/leftovers';
import { preflight } from './support/preflight';
import { targetFromEnv } from './support/target';

export default async function setup(project: TestProject) {
  await preflight(targetFromEnv(), 0);
  project.provide('tenantPrefix', process.env.DEPLOYED_TENANT_PREFIX || newTenantPrefix());
}
