// `npm run test:deployed`: the black-box HTTP suite against a running controller (bin/test-deployed.ts
// passes its URL and token in the environment). Files run one at a time: the node tests pause a
// node for a moment, which a migration running beside them would trip over.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/deployed/**/*.test.ts'],
    globalSetup: ['test/deployed/global-setup.ts'],
    fileParallelism: false,
    // A deployed stack is slower than the local one: real pageservers, cold Lambdas.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
