import { configDefaults, defineConfig } from 'vitest/config';
import { EMULATOR_ONLY_GLOB, everyServiceOnEmulator, resolveTargets } from './test/support/aws-targets.ts';

// The emulator-only group runs only when every AWS service is on the emulator: with an endpoint
// given (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, HANDOVER_TEST_TARGET=aws) it is left out,
// and the global setup says so.
const emulatorOnly = everyServiceOnEmulator(resolveTargets(process.env));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(emulatorOnly ? [] : [EMULATOR_ONLY_GLOB])],
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/support/aws-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Lambda log lines are shown for failing tests only.
    silent: 'passed-only',
    env: {
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      POWERTOOLS_SERVICE_NAME: 'handover-test',
      POWERTOOLS_METRICS_NAMESPACE: 'HandoverTest',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
