import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RotationPolicy } from './rotation-policy/types';
import { HandoverStack } from './stacks/handover-stack';

/** Options of {@link createHandoverApp}. */
export interface HandoverAppOptions {
  /** The rotation policy. */
  readonly policy: RotationPolicy;
  /**
   * Where the cloud assembly goes.
   * @default - `CDK_OUTDIR` when the CLI runs the app, else a temporary folder
   */
  readonly outdir?: string;
  /**
   * Run cdk-nag's AWS Solutions checks at synth: an unacknowledged finding fails synth.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Bundle the Lambda code with esbuild. Unit tests turn it off (`aws:cdk:bundling-stacks: []`).
   * @default true
   */
  readonly bundling?: boolean;
  /**
   * CDK's built-in CloudFormation template validation (schemas and default rules) at synth.
   * @default true
   */
  readonly cloudFormationValidation?: boolean;
}

/**
 * The Handover CDK app: one {@link HandoverStack} built from the policy, checked by cdk-nag.
 * `infra/bin/app.ts` runs it for the CLI; tests build it with their own outdir.
 *
 * @example
 * ```ts
 * const { app, stack } = createHandoverApp({ policy, outdir, bundling: false });
 * app.synth();
 * ```
 */
export function createHandoverApp(options: HandoverAppOptions): { app: App; stack: HandoverStack } {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    ...(options.cloudFormationValidation === false ? { builtinCloudFormationValidation: false } : {}),
    ...(options.bundling === false ? { context: { 'aws:cdk:bundling-stacks': [] } } : {}),
  });
  const stack = new HandoverStack(app, options.policy.stackName ?? 'Handover', { policy: options.policy });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
