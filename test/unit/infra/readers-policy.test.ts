import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoverApp } from '../../../infra/handover-app';
import {
  type FollowPolicy,
  PolicyValidationError,
  type RotationPolicy,
  type SecretPolicy,
  validatePolicy,
} from '../../../infra/rotation-policy';
import { ACCOUNT, outdirs, REGION, secretArn, VALID_SECRETS, validPolicy } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

const withSecret = (base: SecretPolicy, change: Record<string, unknown>): RotationPolicy =>
  validPolicy({ secrets: [{ ...base, ...change } as SecretPolicy] });

function refusalOf(policy: RotationPolicy): PolicyValidationError {
  try {
    validatePolicy(policy);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    return error as PolicyValidationError;
  }
  throw new Error('expected the policy to be refused');
}

const RDS_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0123abcd-AbCdEf`;
const followed = (change: Partial<FollowPolicy> = {}): FollowPolicy => ({
  id: 'orders-master',
  secret: { arn: RDS_SECRET },
  consumers: [{ kind: 'lambda', functionName: 'orders-admin' }],
  ...change,
});

describe('Policy: grace outlasts every consumer cache', () => {
  it('refuses a grace window shorter than the longest cache among the consumers, naming it and the way out', () => {
    // WHEN
    const { problems } = refusalOf(
      withSecret(VALID_SECRETS.iam, {
        grace: Duration.minutes(30),
        consumers: [
          { kind: 'lambda', functionName: 'api', reads: 'lambda-extension' },
          { kind: 'webhook', url: 'https://hooks.example.com/x', reads: 'external-secrets' },
        ],
      }),
    );

    // THEN
    expect(problems).toEqual([
      {
        secret: 'ci',
        field: 'grace',
        received: '30 minutes',
        allowed: expect.stringMatching(
          /^at least the longest cache among the consumers: "hooks\.example\.com" reads through external-secrets .*keeps an old value 1 h; .*graceOverride: \{ reason \}/,
        ),
      },
    ]);
  });

  it.each([
    ['the Parameters and Secrets extension (300 s)', 'lambda-extension', Duration.minutes(5)],
    [
      'the Secrets Manager Agent configured to 10 minutes',
      { via: 'secrets-manager-agent', ttl: Duration.minutes(10) },
      Duration.minutes(10),
    ],
    [
      'an ECS service reading environment variables (restarted by the rollout)',
      'ecs-environment',
      Duration.seconds(0),
    ],
  ])('accepts a grace that covers %s', (_what, reads, grace) => {
    expect(() =>
      validatePolicy(
        withSecret(VALID_SECRETS.iam, {
          grace,
          consumers: [{ kind: 'ecs-service', cluster: 'ci', service: 'runner', reads }],
        }),
      ),
    ).not.toThrow();
  });

  it('refuses a cache no grace covers (environment variables outside an ECS service), and a ttl beyond the mode', () => {
    // WHEN
    const { problems } = refusalOf(
      withSecret(VALID_SECRETS.iam, {
        consumers: [
          { kind: 'event', name: 'k8s-jobs', reads: 'ecs-environment' },
          {
            kind: 'lambda',
            functionName: 'api',
            reads: { via: 'lambda-extension', ttl: Duration.minutes(10) },
          },
        ],
      }),
    );

    // THEN
    expect(problems.map((problem) => [problem.field, problem.allowed.split(':')[0]])).toEqual([
      [
        'consumers[1].reads',
        'lambda-extension keeps a value 300 s at most (the AWS Parameters and Secrets Lambda Extension',
      ],
      ['grace', 'at least the longest cache among the consumers'],
    ]);
    expect(problems[1]?.allowed).toContain('keeps an old value until it restarts');
  });

  it('accepts a shorter grace with an explicit, reasoned override, and refuses an override without a reason', () => {
    const short = {
      grace: Duration.minutes(1),
      consumers: [{ kind: 'lambda', functionName: 'api', reads: 'sdk-cache' }],
    };

    expect(() =>
      validatePolicy(
        withSecret(VALID_SECRETS.iam, {
          ...short,
          graceOverride: { reason: 'the API refreshes its cache on every 401 (tested in chaos drills)' },
        }),
      ),
    ).not.toThrow();
    expect(
      refusalOf(withSecret(VALID_SECRETS.iam, { ...short, graceOverride: { reason: 'ok' } })).problems,
    ).toContainEqual(
      expect.objectContaining({
        field: 'graceOverride.reason',
        allowed: expect.stringContaining('at least 20 characters'),
      }),
    );
  });
});

describe('Policy: readers', () => {
  it('checks readers with CloudTrail by default, 15 minutes of delivery delay', () => {
    const resolved = validatePolicy(validPolicy({ secrets: [VALID_SECRETS.iam] }));

    expect(resolved.secrets[0]?.rollout.readers).toEqual({
      source: { kind: 'cloudtrail' },
      deliveryDelay: Duration.seconds(900),
      ignore: [],
    });
  });

  it('takes a CloudTrail Lake source, ignores with reasons, or off', () => {
    const lake = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE`;
    const resolved = validatePolicy(
      validPolicy({
        secrets: [
          {
            ...VALID_SECRETS.iam,
            readers: {
              source: { kind: 'cloudtrail-lake', eventDataStoreArn: lake },
              deliveryDelay: Duration.minutes(5),
              ignore: [
                {
                  principal: `arn:aws:iam::${ACCOUNT}:role/break-glass*`,
                  reason: 'incident responders read it by hand',
                },
              ],
            },
          },
          { ...VALID_SECRETS.sharedKey, readers: { source: 'off' } },
        ],
      }),
    );

    expect(resolved.secrets[0]?.rollout.readers?.source).toEqual({
      kind: 'cloudtrail-lake',
      eventDataStoreArn: lake,
    });
    expect(resolved.secrets[1]?.rollout.readers).toBeUndefined();
  });

  it.each([
    [
      'a delivery delay below the documented average',
      { deliveryDelay: Duration.minutes(1) },
      'readers.deliveryDelay',
      /5 minutes/,
    ],
    [
      'an unknown source',
      { source: { kind: 'athena' } },
      'readers.source',
      /"off", or \{ kind: "cloudtrail" \| "cloudtrail-lake"/,
    ],
    [
      'a Lake source without its store',
      { source: { kind: 'cloudtrail-lake' } },
      'readers.source.eventDataStoreArn',
      /event data store ARN/,
    ],
    [
      'an ignore entry without a reason',
      { ignore: [{ principal: `arn:aws:iam::${ACCOUNT}:user/x`, reason: '' }] },
      'readers.ignore[0].reason',
      /at least 10/,
    ],
  ])('refuses %s, naming the field', (_what, readers, field, allowed) => {
    const { problems } = refusalOf(withSecret(VALID_SECRETS.iam, { readers }));

    expect(problems).toContainEqual(
      expect.objectContaining({ secret: 'ci', field, allowed: expect.stringMatching(allowed) }),
    );
  });
});

describe('Policy: followed secrets', () => {
  it('resolves a followed RDS-managed secret with its consumers named and the readers check on', () => {
    const resolved = validatePolicy(validPolicy({ follow: [followed()] }));

    expect(resolved.follow).toEqual([
      {
        id: 'orders-master',
        source: { arn: RDS_SECRET },
        rotatedBy: 'rds',
        rollout: {
          consumers: [{ kind: 'lambda', functionName: 'orders-admin', name: 'orders-admin' }],
          maxConcurrency: 4,
          readers: { source: { kind: 'cloudtrail' }, deliveryDelay: Duration.seconds(900), ignore: [] },
        },
      },
    ]);
  });

  it('refuses a followed secret that an entry rotates, an id used twice, and a field of a rotation', () => {
    const { problems } = refusalOf(
      validPolicy({
        secrets: [VALID_SECRETS.iam],
        follow: [
          followed({ id: 'ci', secret: { arn: secretArn('ci/key') } }),
          { ...followed({ id: 'twice' }), grace: Duration.hours(1) } as FollowPolicy,
        ],
      }),
    );

    expect(problems.map((problem) => `${problem.secret} ${problem.field}`)).toEqual([
      'ci id',
      'ci secret',
      'twice grace',
    ]);
    expect(problems[1]?.allowed).toBe(
      'a secret no other entry rotates or follows (secret entry "ci" already does)',
    );
  });

  it('builds the followed secret its rollout configuration (no rotation function), its trigger and its grants', () => {
    // WHEN
    const { stack } = createHandoverApp({
      policy: validPolicy({ secrets: [VALID_SECRETS.iam], follow: [followed()] }),
      outdir: dirs.make(),
      bundling: false,
      nag: false,
      cloudFormationValidation: false,
    });
    const template = Template.fromStack(stack);

    // THEN
    const parameters = Object.values(template.findResources('AWS::SSM::Parameter')) as Array<{
      Properties: { Name: string; Value: string | { 'Fn::Join': [string, unknown[]] } };
    }>;
    const parameter = parameters.find(
      (found) => found.Properties.Name === '/handover/rollout/rds_21db-0123abcd',
    );
    const value = parameter?.Properties.Value;
    const json =
      typeof value === 'string'
        ? value
        : (value?.['Fn::Join'][1] ?? [])
            .map((part) => (typeof part === 'string' ? part : '"<token>"'))
            .join('');
    const config = JSON.parse(json.replace(/""<token>""/g, '"<token>"'));
    expect(config).toMatchObject({
      secretArn: RDS_SECRET,
      credentialType: 'followed',
      followed: { rotatedBy: 'rds' },
      consumers: [{ kind: 'lambda', name: 'orders-admin', functionName: 'orders-admin' }],
      readers: {
        source: { kind: 'cloudtrail' },
        ignore: [
          {
            principal: 'service:rds.amazonaws.com',
            reason: 'Amazon RDS rotates this managed master user secret',
          },
        ],
      },
    });
    expect(config.rotationFunctionArn).toBeUndefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ additionalEventData: { SecretId: Match.arrayWith([RDS_SECRET]) } }),
      }),
    });
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('cloudtrail:LookupEvents');
    expect(statements).toContain('secretsmanager:ListSecretVersionIds');
  });
});
