import type { TestProject } from 'vitest/node';
import {
  type AwsTargets,
  describeTargets,
  EMULATOR_ONLY_SUFFIX,
  everyServiceOnEmulator,
  resolveTargets,
} from './aws-targets';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each AWS service's calls go, decided once from the environment the suite started with. */
    awsTargets: AwsTargets;
  }
}

/**
 * Vitest global setup: decides where each AWS service's calls go from the environment the suite
 * was started with (before any harness sets a variable), prints it, and hands it to every test file
 * (`inject('awsTargets')`). `vitest.config.ts` makes the same decision to leave the emulator-only
 * group out.
 */
export default function setup(project: TestProject): void {
  const targets = resolveTargets(process.env);
  project.provide('awsTargets', targets);
  const lines = ['AWS endpoints for this run:', ...describeTargets(targets)];
  if (!everyServiceOnEmulator(targets)) {
    lines.push(
      `Emulator-only tests (*${EMULATOR_ONLY_SUFFIX}: fault injection, call logs, emulated delays, set-up no AWS API allows) are left out: an endpoint was given.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
