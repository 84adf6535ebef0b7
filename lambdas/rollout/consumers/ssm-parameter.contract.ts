/**
 * The contract of the `ssm-parameter` consumer kind (the adapter is `ssm-parameter.ts`): an SSM
 * SecureString parameter that mirrors the secret value.
 */
import * as z from 'zod/mini';
import { KMS_KEY_ARN, PARAMETER_NAME } from '../../shared/aws-patterns';
import { matching } from '../../shared/settings';
import { defineConsumer, expectText } from './consumer-contract';

/** What the rollout function reads for a ssm-parameter consumer, besides `kind`, `name`, `canary`. */
export const ssmParameterConfig = {
  /** The SecureString parameter mirroring the secret value. */
  parameterName: expectText('a parameter name'),
  /**
   * The KMS key encrypting the parameter.
   * @default - the AWS managed key `alias/aws/ssm`
   */
  kmsKeyId: z.optional(expectText('a KMS key id or ARN')),
};

export const ssmParameterConsumer = /* @__PURE__ */ defineConsumer({
  kind: 'ssm-parameter',
  settings: () => ({
    /** The SecureString parameter mirroring the secret value. */
    parameterName: matching(PARAMETER_NAME, 'an SSM parameter name, e.g. /app/db-password'),
    /**
     * The customer-managed KMS key (key ARN) encrypting the parameter.
     * @default - the AWS managed key `alias/aws/ssm`
     */
    kmsKeyArn: z.optional(matching(KMS_KEY_ARN, 'a KMS key ARN, not an alias')),
  }),
  config: ssmParameterConfig,
  refresh: {
    how: 'none',
    describe:
      'the parameter holds the new value; its readers keep what they cached until their cache expires',
  },
  identity: ['parameterName'],
  defaultName: ({ parameterName }) =>
    typeof parameterName === 'string'
      ? parameterName.replace(/^\/+/, '').replace(/\//g, '.').slice(0, 128)
      : undefined,
  toConfig: ({ parameterName, kmsKeyArn }) => ({
    parameterName,
    ...(kmsKeyArn === undefined ? {} : { kmsKeyId: kmsKeyArn }),
  }),
  permissions: ({ parameterName, kmsKeyArn }) => [
    {
      actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:LabelParameterVersion'],
      resource: { service: 'ssm', resource: 'parameter', resourceName: parameterName.replace(/^\//, '') },
    },
    ...(kmsKeyArn === undefined
      ? []
      : [
          {
            actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
            resource: { arn: kmsKeyArn },
            viaService: 'ssm',
          },
        ]),
    // The mirror needs the value itself.
    { readSecret: 'rotated' },
  ],
});
