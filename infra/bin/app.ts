/**
 * The CDK app the CLI runs (`cdk.json`: `npx tsx infra/bin/app.ts`): the stack from
 * `infra/policy.ts`, with cdk-nag. A policy problem prints the one error that lists them all.
 */
import { createHandoverApp } from '../handover-app';
import { policy } from '../policy';
import { PolicyValidationError } from '../rotation-policy/validate';

try {
  createHandoverApp({ policy });
} catch (error) {
  if (!(error instanceof PolicyValidationError)) throw error;
  console.error(`${error.message}\n\nFix infra/policy.ts and run the command again.`);
  process.exit(1);
}
