import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromContainerMetadata } from '@smithy/credential-provider-imds';

/**
 * The credential chain of Handover's Lambda bundles, in place of the SDK's default chain
 * (`@aws-sdk/credential-provider-node`, replaced by this module through a bundle alias: see
 * `BUNDLE_ALIASES` in `infra/paths.ts`). Lambda gives every function its execution role's
 * credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (the Lambda
 * Developer Guide's reserved runtime environment variables); where a runtime serves them from a
 * container credentials endpoint instead (`AWS_CONTAINER_CREDENTIALS_FULL_URI` /
 * `..._RELATIVE_URI`), that endpoint is used. SSO, shared config files, credential processes and
 * web identity never occur inside Lambda, and the code that reads them (about 95 KB minified, with
 * the STS and SSO clients it needs) stays out of every bundle.
 *
 * Tests, the sandbox and the CLI run unbundled and keep the SDK's full default chain.
 *
 * @example
 * ```ts
 * // esbuild: --alias:@aws-sdk/credential-provider-node=lambdas/shared/lambda-credentials.ts
 * const provider = defaultProvider();
 * const credentials = await provider();
 * ```
 */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): ReturnType<typeof fromEnv> => {
  const fromEnvironment = fromEnv(init);
  const fromContainer = fromContainerMetadata();
  // The SDK memoizes what a provider returns until it is about to expire.
  return () => {
    if (process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined) {
      return fromEnvironment();
    }
    if (
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI !== undefined ||
      process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI !== undefined
    ) {
      return fromContainer();
    }
    return Promise.reject(
      new Error(
        'no AWS credentials: a Handover Lambda bundle reads its execution role from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the container credentials endpoint), and neither is set',
      ),
    );
  };
};
