/**
 * The one mapping between a consumer as a deployment writes it and as the rollout function reads
 * it: what a kind's contract writes (`toConfig`) is a configuration the rollout function accepts.
 */
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { parseRolloutConfig } from '../../../../lambdas/rollout/config';
import {
  CONSUMER_CONTRACTS,
  CONSUMER_KINDS,
  consumerContract,
} from '../../../../lambdas/rollout/consumers/contracts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db/app-AbCdEf';
const SIGNING = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks/signing-AbCdEf';

/** Every kind with every setting given. */
const GIVEN = {
  lambda: { functionName: 'orders-api', environmentVariable: 'DB_VERSION' },
  'ecs-service': { cluster: 'orders', service: 'orders-web' },
  'ssm-parameter': {
    parameterName: '/orders/db-password',
    kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d',
  },
  event: { name: 'ci', eventBusName: 'ops', timeout: Duration.minutes(20) },
  webhook: {
    url: 'https://partner.example.com/hook',
    signingSecret: { arn: SIGNING },
    timeout: Duration.seconds(5),
  },
} as const;

describe('Contract: consumer kinds', () => {
  it.each(CONSUMER_KINDS)(
    '%s: the rollout function accepts the configuration its contract writes',
    (kind) => {
      // GIVEN
      const contract = consumerContract(kind);
      const settings = GIVEN[kind] as unknown as Readonly<Record<string, unknown>>;
      const name = (settings.name as string | undefined) ?? contract.defaultName?.(settings) ?? kind;

      // WHEN
      const consumer = { name, kind, ...contract.toConfig(settings, { signingSecret: SIGNING }) };
      const config = {
        secretArn: SECRET,
        credentialType: 'postgres',
        rotationFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rotation',
        graceSeconds: 3600,
        usageRecheckSeconds: 60,
        usageMaxChecks: 3,
        maxConcurrency: 2,
        consumers: [consumer],
      };

      // THEN
      expect(parseRolloutConfig(JSON.stringify(config), '/p').consumers).toEqual([consumer]);
      expect(CONSUMER_CONTRACTS[kind].kind).toBe(kind);
    },
  );

  it.each(CONSUMER_KINDS)('%s: the settings schema accepts what a policy writes', (kind) => {
    const schema = consumerContract(kind).settings();
    for (const [field, value] of Object.entries(GIVEN[kind])) {
      if (field === 'signingSecret') continue; // a reference: the policy validates it
      expect(schema[field]?.safeParse(value).success, `${kind}.${field}`).toBe(true);
    }
  });

  it('converts durations and references into the numbers and ARNs the rollout function reads', () => {
    expect(consumerContract('event').toConfig(GIVEN.event as never, {})).toEqual({
      eventBusName: 'ops',
      timeoutSeconds: 1200,
    });
    expect(consumerContract('webhook').toConfig(GIVEN.webhook as never, { signingSecret: SIGNING })).toEqual({
      url: 'https://partner.example.com/hook',
      timeoutMs: 5000,
      signingSecretArn: SIGNING,
    });
  });
});
