import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoverApp } from '../../../infra/handover-app';
import {
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

describe('Policy: rollout settings', () => {
  it('names every consumer (its own name, or one derived from its target) and applies the rollout defaults', () => {
    // WHEN
    const resolved = validatePolicy(
      withSecret(VALID_SECRETS.iam, {
        consumers: [
          { kind: 'lambda', functionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:deployer:live` },
          {
            kind: 'ecs-service',
            cluster: 'ci',
            service: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/ci/runner`,
          },
          { kind: 'ssm-parameter', parameterName: '/ci/deployer/key' },
          { kind: 'webhook', url: 'https://hooks.example.com/handover' },
          { kind: 'event', name: 'github-actions' },
          { kind: 'lambda', functionName: 'other', name: 'custom-name' },
        ],
      }),
    );

    // THEN
    const rollout = resolved.secrets[0]?.rollout;
    expect(rollout?.consumers.map((consumer) => consumer.name)).toEqual([
      'deployer.live',
      'runner',
      'ci.deployer.key',
      'hooks.example.com',
      'github-actions',
      'custom-name',
    ]);
    expect(rollout?.usageRecheck.toHours()).toBe(1);
    expect(rollout?.usageMaxChecks).toBe(24);
    expect(rollout?.maxConcurrency).toBe(4);
    expect(resolved.rollout).toEqual({ enabled: true, eventBusName: 'default' });
  });

  it.each([
    [
      'two consumers with one name',
      {
        consumers: [
          { kind: 'lambda', functionName: 'api' },
          { kind: 'ecs-service', cluster: 'c', service: 'api' },
        ],
      },
      'consumers[1].name',
      /a name no other consumer of this secret has \(consumers\[0\] is "api"\): set name/,
    ],
    [
      'an acknowledgement timeout over 7 days',
      { consumers: [{ kind: 'event', name: 'ci', timeout: Duration.days(8) }] },
      'consumers[0].timeout',
      /1 second to 7 days/,
    ],
    [
      'a webhook deadline over a minute',
      { consumers: [{ kind: 'webhook', url: 'https://h.example.com', timeout: Duration.minutes(2) }] },
      'consumers[0].timeout',
      /100 ms to 60 seconds/,
    ],
    [
      'a field of another consumer kind',
      { consumers: [{ kind: 'lambda', functionName: 'api', eventBusName: 'ops' }] },
      'consumers[0].eventBusName',
      /no such field here/,
    ],
    [
      'a KMS alias for a mirrored parameter',
      { consumers: [{ kind: 'ssm-parameter', parameterName: '/a', kmsKeyArn: 'alias/app' }] },
      'consumers[0].kmsKeyArn',
      /not an alias/,
    ],
    [
      'a signing secret that is not a reference',
      { consumers: [{ kind: 'webhook', url: 'https://h.example.com', signingSecret: 'hooks/key' }] },
      'consumers[0].signingSecret',
      /arn: .* or \{ name/,
    ],
    [
      'a re-check under a minute',
      { usageGate: { recheck: Duration.seconds(30) } },
      'usageGate.recheck',
      /1 minute to 7 days/,
    ],
    [
      'no usage check at all',
      { usageGate: { maxChecks: 0 } },
      'usageGate.maxChecks',
      /integer from 1 to 1000/,
    ],
    [
      'a typo in the usage gate',
      { usageGate: { recheckEvery: Duration.hours(1) } },
      'usageGate.recheckEvery',
      /known: recheck, maxChecks/,
    ],
    [
      'a concurrency past the Map limit',
      { consumerConcurrency: 41 },
      'consumerConcurrency',
      /integer from 1 to 40/,
    ],
  ])('refuses %s, naming the field', (_case, change, field, allowed) => {
    // WHEN
    const { problems, message } = refusalOf(withSecret(VALID_SECRETS.iam, change));

    // THEN
    const problem = problems.find((p) => p.secret === 'ci' && p.field === field);
    expect(problem, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(problem?.allowed).toMatch(allowed);
    // The whole message, every problem in order, exactly as users read it.
    expect(message).toMatchSnapshot();
  });

  it('refuses an unknown rollout option at the policy level', () => {
    const { problems, message } = refusalOf(validPolicy({ rollout: { enabled: 'yes' } as never }));
    expect(problems).toContainEqual(expect.objectContaining({ secret: undefined, field: 'rollout.enabled' }));
    expect(message).toMatchSnapshot();
  });
});

describe('Stack: HandoverStack rollout wiring', () => {
  const templateOf = (policy: RotationPolicy) =>
    Template.fromStack(
      createHandoverApp({
        policy,
        outdir: dirs.make(),
        bundling: false,
        nag: false,
        cloudFormationValidation: false,
      }).stack,
    );

  it('writes the policy of each rotating secret into its rollout configuration, with the defaults', () => {
    // WHEN
    const template = templateOf(
      withSecret(VALID_SECRETS.iam, {
        grace: Duration.hours(12),
        usageGate: { recheck: Duration.minutes(15), maxChecks: 8 },
        consumerConcurrency: 2,
        consumers: [
          { kind: 'lambda', functionName: 'deployer', canary: true },
          { kind: 'event', name: 'gha', timeout: Duration.minutes(20) },
        ],
      }),
    );

    // THEN
    const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter')) as Array<{
      Properties: { Name: string; Type: string; Value: { 'Fn::Join': [string, unknown[]] } };
    }>;
    expect(parameter?.Properties).toMatchObject({ Name: '/handover/rollout/ci/key', Type: 'String' });
    const json = parameter?.Properties.Value['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : '<rotation function ARN>'))
      .join('');
    expect(JSON.parse(json ?? '{}')).toEqual({
      // The readers check by default: CloudTrail, 15 minutes' delivery delay, the rotation and
      // rollout functions' roles as Handover's own readers.
      readers: {
        source: { kind: 'cloudtrail' },
        deliveryDelaySeconds: 900,
        handover: ['<rotation function ARN>', '<rotation function ARN>'],
        ignore: [],
      },
      secretArn: secretArn('ci/key'),
      credentialType: 'iam-access-key',
      rotationFunctionArn: '<rotation function ARN>',
      graceSeconds: 43_200,
      usageRecheckSeconds: 900,
      usageMaxChecks: 8,
      maxConcurrency: 2,
      consumers: [
        { name: 'deployer', canary: true, kind: 'lambda', functionName: 'deployer' },
        { name: 'gha', kind: 'event', timeoutSeconds: 1200 },
      ],
    });
  });

  it('creates a signing secret for a webhook consumer that names none, and lets the rollout function read it', () => {
    // WHEN
    const template = templateOf(
      withSecret(VALID_SECRETS.sharedKey, {
        consumers: [{ kind: 'webhook', url: 'https://hooks.example.com/x' }],
      }),
    );

    // THEN
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'handover/webhook-signing/partner/hooks.example.com',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'secretsmanager:GetSecretValue',
            Resource: { Ref: Match.stringLikeRegexp('SigningSecret') },
          }),
        ]),
      },
    });
  });

  it('builds no workflow when the policy turns it off', () => {
    // WHEN
    const template = templateOf(validPolicy({ rollout: { enabled: false } }));

    // THEN
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::SSM::Parameter', 0);
  });
});
