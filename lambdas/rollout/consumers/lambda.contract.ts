/**
 * The contract of the `lambda` consumer kind (the adapter is `lambda.ts`): a Lambda function whose
 * environment variable is set to the new version id, so new execution environments read it.
 */
import * as z from 'zod/mini';
import { ENVIRONMENT_VARIABLE, FUNCTION_NAME } from '../../shared/aws-patterns';
import { matching } from '../../shared/settings';
import { defineConsumer, expectText } from './consumer-contract';

/** The environment variable a Lambda consumer gets, unless its settings name another. */
export const DEFAULT_VERSION_VARIABLE = 'HANDOVER_SECRET_VERSION';

const environmentVariable = 'an environment variable name';

/** What the rollout function reads for a lambda consumer, besides `kind`, `name`, `canary`. */
export const lambdaConfig = {
  /** The function's name or ARN. */
  functionName: expectText('a function name or ARN'),
  /**
   * The environment variable set to the new version id.
   * @default 'HANDOVER_SECRET_VERSION'
   */
  environmentVariable: z.optional(
    z.string().check(z.regex(ENVIRONMENT_VARIABLE, { error: `expected ${environmentVariable}` })),
  ),
};

export const lambdaConsumer = /* @__PURE__ */ defineConsumer({
  kind: 'lambda',
  settings: () => ({
    /** The function's name or ARN. */
    functionName: matching(FUNCTION_NAME, 'a Lambda function name or ARN'),
    /**
     * The environment variable set to the new version id (new environments read the new value).
     * @default 'HANDOVER_SECRET_VERSION'
     */
    environmentVariable: z.optional(matching(ENVIRONMENT_VARIABLE, environmentVariable)),
  }),
  config: lambdaConfig,
  refresh: {
    how: 'forced',
    describe:
      'new execution environments: a configuration update retires the running ones, which read the secret again',
  },
  principal: "the function's execution role (GetFunctionConfiguration's Role)",
  identity: ['functionName'],
  defaultName: ({ functionName }) =>
    typeof functionName === 'string'
      ? functionName.replace(/^arn:[^:]+:lambda:[^:]+:\d+:function:/, '').replace(/:/g, '.')
      : undefined,
  toConfig: ({ functionName, environmentVariable }) => ({
    functionName,
    ...(environmentVariable === undefined ? {} : { environmentVariable }),
  }),
  permissions: ({ functionName }) => [
    {
      actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration'],
      // The unqualified function: UpdateFunctionConfiguration changes $LATEST.
      resource: functionName.startsWith('arn:')
        ? { arn: functionName.split(':').slice(0, 7).join(':') }
        : {
            service: 'lambda',
            resource: 'function',
            resourceName: functionName.split(':')[0] ?? '',
            separator: ':',
          },
    },
  ],
});
