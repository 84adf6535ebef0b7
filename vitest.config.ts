import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Lambda log lines are shown for failing tests only.
    silent: 'passed-only',
    env: {
      AWS_REGION: 'us-east-1',
      POWERTOOLS_SERVICE_NAME: 'handover-test',
      POWERTOOLS_METRICS_NAMESPACE: 'HandoverTest',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
