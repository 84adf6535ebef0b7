import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  PolicyValidationError,
  type RotationPolicy,
  type SecretPolicy,
  validatePolicy,
} from '../../../infra/rotation-policy';
import { recordSecretMaterial } from '../../support/log-scan';
import { REGION, secretArn, VALID_SECRETS, validPolicy } from './helpers';

/** Validates and returns the error (the test fails if the policy is accepted). */
function refusalOf(policy: unknown): PolicyValidationError {
  try {
    validatePolicy(policy as RotationPolicy);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    return error as PolicyValidationError;
  }
  throw new Error('expected the policy to be refused');
}

/** A policy with one secret entry, changed by `change`. */
const withSecret = (base: SecretPolicy, change: Record<string, unknown>): RotationPolicy =>
  validPolicy({ secrets: [{ ...base, ...change } as SecretPolicy] });

type Case = [string, RotationPolicy, string | undefined, string, RegExp];

// [what is wrong, policy, secret named, field named, what is allowed]
const CASES: Case[] = [
  ['an empty secret list', validPolicy({ secrets: [] }), undefined, 'secrets', /non-empty list/],
  [
    'an unknown top-level field',
    { ...validPolicy(), secret: [] } as never,
    undefined,
    'secret',
    /no such field/,
  ],
  ['a bad stack name', validPolicy({ stackName: '1-handover' }), undefined, 'stackName', /a letter/],
  ['a bad account', validPolicy({ env: { account: '1234' } }), undefined, 'env.account', /12-digit/],
  ['a bad region', validPolicy({ env: { region: 'europe' } }), undefined, 'env.region', /eu-west-1/],
  [
    'a reserved tag key',
    validPolicy({ tags: { 'aws:team': 'x' } }),
    undefined,
    'tags.aws:team',
    /not starting with "aws:"/,
  ],
  [
    'a bad alarm email',
    validPolicy({ alarms: { emails: ['oncall'] } }),
    undefined,
    'alarms.emails[0]',
    /email address/,
  ],
  [
    'a bad topic ARN',
    validPolicy({ alarms: { topicArn: 'alarms' } }),
    undefined,
    'alarms.topicArn',
    /SNS topic ARN/,
  ],
  [
    'emails with an existing topic',
    validPolicy({
      alarms: { topicArn: `arn:aws:sns:${REGION}:123456789012:alarms`, emails: ['a@example.com'] },
    }),
    undefined,
    'alarms.emails',
    /your own topic/,
  ],
  [
    'a runbook URL with an anchor',
    validPolicy({ alarms: { runbookUrl: 'README.md#x' } }),
    undefined,
    'alarms.runbookUrl',
    /"#"/,
  ],
  [
    'a non-boolean alarms switch',
    validPolicy({ alarms: { enabled: 'yes' as never } }),
    undefined,
    'alarms.enabled',
    /true or false/,
  ],
  [
    'too little memory',
    validPolicy({ functions: { memorySize: 64 } }),
    undefined,
    'functions.memorySize',
    /128 to 10240/,
  ],
  [
    'a log retention CloudWatch lacks',
    validPolicy({ functions: { logRetentionDays: 100 } }),
    undefined,
    'functions.logRetentionDays',
    /365/,
  ],
  [
    'a timeout that is not a Duration',
    validPolicy({ functions: { timeout: 60 as never } }),
    undefined,
    'functions.timeout',
    /Duration/,
  ],
  [
    'a bad role ARN',
    validPolicy({ functions: { roleArn: 'rotation-role' } }),
    undefined,
    'functions.roleArn',
    /IAM role ARN/,
  ],
  [
    'a bad boundary ARN',
    validPolicy({ functions: { permissionsBoundaryArn: 'boundary' } }),
    undefined,
    'functions.permissionsBoundaryArn',
    /managed policy ARN/,
  ],
  [
    'a boundary with a role of your own',
    validPolicy({
      functions: {
        roleArn: 'arn:aws:iam::123456789012:role/rotation',
        permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/boundary',
      },
    }),
    undefined,
    'functions.permissionsBoundaryArn',
    /roles the stack creates/,
  ],
  [
    'a bad VPC id',
    validPolicy({ networks: { app: { vpcId: 'vpc-x', subnetIds: ['subnet-0a1b2c3d'] } } }),
    undefined,
    'networks.app.vpcId',
    /VPC id/,
  ],
  [
    'no subnets',
    validPolicy({ networks: { app: { vpcId: 'vpc-0a1b2c3d', subnetIds: [] } } }),
    undefined,
    'networks.app.subnetIds',
    /non-empty list/,
  ],
  [
    'a bad subnet id',
    validPolicy({ networks: { app: { vpcId: 'vpc-0a1b2c3d', subnetIds: ['net-1'] } } }),
    undefined,
    'networks.app.subnetIds[0]',
    /subnet ids/,
  ],
  [
    'zones that do not match the subnets',
    validPolicy({
      networks: {
        app: {
          vpcId: 'vpc-0a1b2c3d',
          subnetIds: ['subnet-0a1b2c3d'],
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        },
      },
    }),
    undefined,
    'networks.app.availabilityZones',
    /one zone per subnet/,
  ],
  [
    'a bad endpoint id',
    validPolicy({
      networks: {
        app: {
          vpcId: 'vpc-0a1b2c3d',
          subnetIds: ['subnet-0a1b2c3d'],
          secretsManagerEndpoint: { endpointId: 'x', securityGroupId: 'sg-0a0a0a0a' },
        },
      },
    }),
    undefined,
    'networks.app.secretsManagerEndpoint.endpointId',
    /vpce-/,
  ],
  [
    'a bad secret id',
    withSecret(VALID_SECRETS.iam, { id: 'ci deployer' }),
    'secrets[0]',
    'id',
    /letters, digits and hyphens/,
  ],
  [
    'a duplicate secret id',
    validPolicy({ secrets: [VALID_SECRETS.iam, { ...VALID_SECRETS.sharedKey, id: 'ci' }] }),
    'ci',
    'id',
    /no other secret entry/,
  ],
  [
    'an unknown type',
    withSecret(VALID_SECRETS.iam, { type: 'oauth' }),
    'ci',
    'type',
    /postgres, mysql, iam-access-key, api-key, shared-key/,
  ],
  ['a misspelt field', withSecret(VALID_SECRETS.iam, { shedule: {} }), 'ci', 'shedule', /no such field/],
  [
    'a field of another type',
    withSecret(VALID_SECRETS.iam, { passwordLength: 40 }),
    'ci',
    'passwordLength',
    /no such field/,
  ],
  [
    'a secret with neither arn nor name',
    withSecret(VALID_SECRETS.iam, { secret: {} }),
    'ci',
    'secret',
    /exactly one of arn or name/,
  ],
  [
    'a secret with both arn and name',
    withSecret(VALID_SECRETS.iam, { secret: { arn: secretArn('a'), name: 'a' } }),
    'ci',
    'secret',
    /exactly one/,
  ],
  [
    'a partial secret ARN',
    withSecret(VALID_SECRETS.iam, {
      secret: { arn: `arn:aws:secretsmanager:${REGION}:123456789012:secret:ci/key` },
    }),
    'ci',
    'secret.arn',
    /complete secret ARN/,
  ],
  [
    'a secret in another region',
    withSecret(VALID_SECRETS.iam, {
      secret: { arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ci/key-AbCdEf' },
    }),
    'ci',
    'secret.arn',
    /stack's region eu-west-1/,
  ],
  [
    'a bad secret name',
    withSecret(VALID_SECRETS.iam, { secret: { name: 'ci key!' } }),
    'ci',
    'secret.name',
    /secret name/,
  ],
  [
    'a KMS alias instead of a key ARN',
    withSecret(VALID_SECRETS.iam, {
      secret: { arn: secretArn('ci/key'), kmsKeyArn: `arn:aws:kms:${REGION}:123456789012:alias/secrets` },
    }),
    'ci',
    'secret.kmsKeyArn',
    /not an alias/,
  ],
  [
    'one secret rotated by two entries',
    validPolicy({ secrets: [VALID_SECRETS.sharedKey, { ...VALID_SECRETS.sharedKey, id: 'partner-2' }] }),
    'partner-2',
    'secret',
    /entry "partner" already does/,
  ],
  [
    'a created secret that is not paused',
    withSecret(VALID_SECRETS.sharedKey, { secret: { create: {} } }),
    'partner',
    'paused',
    /holds no working credential/,
  ],
  [
    'a created secret with a bad generated field',
    withSecret(VALID_SECRETS.sharedKey, { secret: { create: { generateKey: 'my key' } }, paused: true }),
    'partner',
    'secret.create.generateKey',
    /JSON field name/,
  ],
  [
    'a schedule that is neither rate nor cron',
    withSecret(VALID_SECRETS.iam, { schedule: { expression: 'every 90 days' } }),
    'ci',
    'schedule.expression',
    /rate\(<n> hours\|days\) or cron/,
  ],
  [
    'a rotation more often than every 4 hours',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { expression: 'rate(2 hours)' } }),
    'partner',
    'schedule.expression',
    /at most every 4 hours/,
  ],
  [
    'a plural unit for 1',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { expression: 'rate(1 days)' } }),
    'partner',
    'schedule.expression',
    /singular unit for 1/,
  ],
  [
    'more than 1000 days',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { expression: 'rate(1001 days)' } }),
    'partner',
    'schedule.expression',
    /rate\(1000 days\)/,
  ],
  [
    'a cron with 5 fields',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { expression: 'cron(0 3 * * ?)' } }),
    'partner',
    'schedule.expression',
    /6 fields/,
  ],
  [
    'a window longer than a day',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { window: Duration.hours(30) } }),
    'partner',
    'schedule.window',
    /1 to 24/,
  ],
  [
    'a window into the next rotation',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'rate(4 hours)', window: Duration.hours(5) },
    }),
    'partner',
    'schedule.window',
    /1 to 4 .*next window/,
  ],
  [
    'a window in minutes',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { window: Duration.minutes(90) } }),
    'partner',
    'schedule.window',
    /whole hours/,
  ],
  [
    'a window into the next UTC day',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'cron(0 22 * * ? *)', window: Duration.hours(4) },
    }),
    'partner',
    'schedule.window',
    /1 to 2 /,
  ],
  [
    'a window that is not a Duration',
    withSecret(VALID_SECRETS.sharedKey, { schedule: { window: '4h' } }),
    'partner',
    'schedule.window',
    /a Duration/,
  ],
  [
    'a grace longer than 30 days',
    withSecret(VALID_SECRETS.apiKey, { grace: Duration.days(31) }),
    'mail',
    'grace',
    /0 to 30 days/,
  ],
  [
    'a grace as long as the interval',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'rate(1 day)' },
      grace: Duration.hours(24),
    }),
    'partner',
    'grace',
    /less than the rotation interval \(1 day\)/,
  ],
  [
    'rate(2 days) with a 47-hour grace and the default usage gate (a rollout that outlasts the gap)',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'rate(2 days)' },
      grace: Duration.hours(47),
    }),
    'partner',
    'schedule',
    /worst-case rollout, 2 days 23 hours 15 minutes \(grace 1 day 23 hours \+ 24 usage checks x 1 hour .*rotation 15 minutes\): rotate less often/,
  ],
  [
    'a daily cron with a 20-day grace',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'cron(0 3 * * ? *)' },
      grace: Duration.days(20),
    }),
    'partner',
    'schedule',
    /further apart than this secret's worst-case rollout, 21 days/,
  ],
  [
    'a weekly cron whose event consumer may take a week to acknowledge',
    withSecret(VALID_SECRETS.sharedKey, {
      schedule: { expression: 'cron(0 3 ? * MON *)', window: Duration.hours(2) },
      consumers: [{ kind: 'event', name: 'ci', timeout: Duration.days(7) }],
    }),
    'partner',
    'schedule',
    /consumer waves 7 days/,
  ],
  [
    'an unknown consumer kind',
    withSecret(VALID_SECRETS.iam, { consumers: [{ kind: 'k8s', name: 'x' }] }),
    'ci',
    'consumers[0].kind',
    /lambda, ecs-service, ssm-parameter, event, webhook/,
  ],
  [
    'a plaintext webhook',
    withSecret(VALID_SECRETS.iam, { consumers: [{ kind: 'webhook', url: 'http://ci.example.com/hook' }] }),
    'ci',
    'consumers[0].url',
    /https:\/\//,
  ],
  [
    'a consumer without its field',
    withSecret(VALID_SECRETS.iam, { consumers: [{ kind: 'ecs-service', cluster: 'ci' }] }),
    'ci',
    'consumers[0].service',
    /ECS service/,
  ],
  [
    'a bad Lambda consumer',
    withSecret(VALID_SECRETS.iam, { consumers: [{ kind: 'lambda', functionName: 'my function' }] }),
    'ci',
    'consumers[0].functionName',
    /Lambda function name/,
  ],
  [
    'the same consumer twice',
    withSecret(VALID_SECRETS.iam, {
      consumers: [
        { kind: 'event', name: 'ci' },
        { kind: 'event', name: 'ci' },
      ],
    }),
    'ci',
    'consumers[1]',
    /each consumer once/,
  ],
  [
    'a non-boolean canary',
    withSecret(VALID_SECRETS.iam, { consumers: [{ kind: 'event', name: 'ci', canary: 1 }] }),
    'ci',
    'consumers[0].canary',
    /true or false/,
  ],
  [
    'an undefined network',
    withSecret(VALID_SECRETS.postgres, { network: 'data' }),
    'orders-db',
    'network',
    /one of the networks: app/,
  ],
  [
    'an invalid inline network',
    withSecret(VALID_SECRETS.iam, {
      network: { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'], natGateway: 'yes' },
    }),
    'ci',
    'network.natGateway',
    /true or false/,
  ],
  [
    'a database without a network',
    withSecret(VALID_SECRETS.mysql, { network: undefined }),
    'billing-db',
    'network',
    /VPC placement/,
  ],
  [
    'a strategy the type lacks',
    withSecret(VALID_SECRETS.postgres, { strategy: 'dual-password' }),
    'orders-db',
    'strategy',
    /single-user, alternating-users for postgres/,
  ],
  [
    'alternating users without a master secret',
    withSecret(VALID_SECRETS.postgres, { masterSecret: undefined }),
    'orders-db',
    'masterSecret',
    /required by postgres alternating-users/,
  ],
  [
    'a master secret single-user does not use',
    withSecret(VALID_SECRETS.mysql, { masterSecret: { arn: secretArn('billing/master') } }),
    'billing-db',
    'masterSecret',
    /single-user does not use masterSecret/,
  ],
  [
    'the rotated secret as its own master',
    withSecret(VALID_SECRETS.postgres, { masterSecret: { arn: secretArn('orders/app') } }),
    'orders-db',
    'masterSecret',
    /other than the rotated one/,
  ],
  [
    'an IAM key without its user',
    withSecret(VALID_SECRETS.iam, { user: undefined }),
    'ci',
    'user',
    /required by iam-access-key/,
  ],
  [
    'a bad IAM user',
    withSecret(VALID_SECRETS.iam, { user: 'arn:aws:iam::123456789012:role/ci' }),
    'ci',
    'user',
    /user name .* or user ARN/,
  ],
  [
    'an API key without its management secret',
    withSecret(VALID_SECRETS.apiKey, { managementSecret: undefined }),
    'mail',
    'managementSecret',
    /required by api-key/,
  ],
  [
    'a bad database security group',
    withSecret(VALID_SECRETS.mysql, { database: { securityGroupId: 'db-sg' } }),
    'billing-db',
    'database.securityGroupId',
    /sg-/,
  ],
  [
    'a bad database port',
    withSecret(VALID_SECRETS.mysql, { database: { securityGroupId: 'sg-0b0b0b0b', port: 70000 } }),
    'billing-db',
    'database.port',
    /1 to 65535/,
  ],
  [
    'a TLS mode drivers lack',
    withSecret(VALID_SECRETS.mysql, { tlsMode: 'prefer' }),
    'billing-db',
    'tlsMode',
    /disable, require, verify-ca, verify-full/,
  ],
  [
    'a short password',
    withSecret(VALID_SECRETS.mysql, { passwordLength: 8 }),
    'billing-db',
    'passwordLength',
    /16 to 128/,
  ],
  [
    'a zero connect timeout',
    withSecret(VALID_SECRETS.postgres, { connectTimeoutMs: 0 }),
    'orders-db',
    'connectTimeoutMs',
    /100 to 60000/,
  ],
  [
    'an STS test longer than Lambda allows',
    withSecret(VALID_SECRETS.iam, { testTimeoutMs: 1_000_000 }),
    'ci',
    'testTimeoutMs',
    /0 to 900000/,
  ],
  [
    'an unknown previous-key policy',
    withSecret(VALID_SECRETS.iam, { activePreviousKey: 'keep' }),
    'ci',
    'activePreviousKey',
    /fail, delete/,
  ],
  [
    'a timeout shorter than the STS test',
    withSecret(VALID_SECRETS.iam, { testTimeoutMs: 120_000 }),
    'ci',
    'timeout (from functions.timeout)',
    /at least 2 minutes 30 seconds/,
  ],
  [
    'a secret timeout beyond 15 minutes',
    withSecret(VALID_SECRETS.sharedKey, { timeout: Duration.minutes(20) }),
    'partner',
    'timeout',
    /15 minutes/,
  ],
  [
    'a secret memory override out of range',
    withSecret(VALID_SECRETS.sharedKey, { memorySize: 64 }),
    'partner',
    'memorySize',
    /128 to 10240/,
  ],
  [
    'a plaintext provider URL',
    withSecret(VALID_SECRETS.apiKey, { providerBaseUrls: { sendgrid: 'http://api.sendgrid.com' } }),
    'mail',
    'providerBaseUrls.sendgrid',
    /https:\/\//,
  ],
  [
    'an unknown provider URL',
    withSecret(VALID_SECRETS.apiKey, { providerBaseUrls: { mailgun: 'https://api.mailgun.net' } }),
    'mail',
    'providerBaseUrls.mailgun',
    /sendgrid, twilio or stripe/,
  ],
  [
    'HTTP services too big for the environment',
    withSecret(VALID_SECRETS.apiKey, { httpServices: { svc: { blob: 'x'.repeat(3100) } } }),
    'mail',
    'httpServices',
    /4 KB/,
  ],
  [
    'a reserved metrics namespace',
    withSecret(VALID_SECRETS.sharedKey, { metricsNamespace: 'AWS/Handover' }),
    'partner',
    'metricsNamespace',
    /not starting with "AWS\/"/,
  ],
  [
    'age checks on a secret known only by name',
    validPolicy({
      alarms: { secretAgeChecks: true },
      secrets: [{ ...VALID_SECRETS.sharedKey, secret: { name: 'partner/key' } }],
    }),
    'partner',
    'secret.name',
    /complete ARN/,
  ],
];

describe('Function: validatePolicy', () => {
  it('accepts the example of every type and applies the documented defaults', () => {
    // WHEN
    const resolved = validatePolicy(validPolicy());

    // THEN
    expect(resolved.stackName).toBe('Handover');
    expect(resolved.alarms).toEqual({
      enabled: true,
      emails: [],
      topicArn: undefined,
      runbookUrl: 'docs/runbook.md',
      secretAgeChecks: false,
    });
    expect(resolved.functions.logRetentionDays).toBe(365);
    const byId = Object.fromEntries(resolved.secrets.map((secret) => [secret.id, secret]));
    expect(
      Object.fromEntries(resolved.secrets.map((secret) => [secret.id, secret.schedule.rotationRules])),
    ).toEqual({
      'orders-db': { scheduleExpression: 'rate(30 days)', duration: '4h' },
      'billing-db': { scheduleExpression: 'rate(30 days)', duration: '4h' },
      ci: { scheduleExpression: 'rate(90 days)', duration: '4h' },
      mail: { scheduleExpression: 'rate(180 days)', duration: '4h' },
      partner: { scheduleExpression: 'rate(90 days)', duration: '4h' },
    });
    expect(byId.ci?.grace.toHours()).toBe(24);
    expect(byId.ci?.maxAge?.toHours()).toBe(90 * 24 + 24);
    expect(byId.ci?.strategy).toBe('access-key');
    expect(byId['billing-db']?.database).toEqual({ securityGroupId: 'sg-0b0b0b0b', port: 3307 });
    expect(byId['orders-db']?.database).toEqual({ securityGroupId: 'sg-0a0a0a0a', port: 5432 });
    expect(byId['orders-db']?.network?.name).toBe('app');
    expect(byId.partner?.rotateImmediately).toBe(false);
    expect(byId.partner?.memorySize).toBe(256);
  });

  it.each(CASES)(
    'refuses %s, naming the secret, the field and what is allowed',
    (_, policy, secret, field, allowed) => {
      // WHEN
      const { problems, message } = refusalOf(policy);

      // THEN
      const problem = problems.find((p) => p.secret === secret && p.field === field);
      expect(problem, JSON.stringify(problems, null, 2)).toBeDefined();
      expect(problem?.allowed).toMatch(allowed);
      expect(problem?.received).not.toBe('');
      // The whole message, every problem in order, exactly as users read it.
      expect(message).toMatchSnapshot();
    },
  );

  it('does not ask a rollout to fit between rotations when the policy builds no rollout workflow', () => {
    // GIVEN the 47-hour grace that a rollout could not fit into rate(2 days)
    const policy = validPolicy({
      rollout: { enabled: false },
      secrets: [
        { ...VALID_SECRETS.sharedKey, schedule: { expression: 'rate(2 days)' }, grace: Duration.hours(47) },
      ],
    });

    // WHEN / THEN
    expect(() => validatePolicy(policy)).not.toThrow();
  });

  it('lists every problem of every secret in ONE error', () => {
    // GIVEN
    const policy = validPolicy({
      stackName: '-',
      secrets: [
        { ...VALID_SECRETS.iam, schedule: { expression: 'rate(2 hours)', window: Duration.hours(30) } },
        { ...VALID_SECRETS.postgres, strategy: 'twin-users' as never, masterSecret: undefined },
      ],
    });

    // WHEN
    let error: unknown;
    try {
      validatePolicy(policy);
    } catch (caught) {
      error = caught;
    }

    // THEN
    expect(error).toBeInstanceOf(PolicyValidationError);
    const { message, problems } = error as PolicyValidationError;
    expect(problems.map((p) => `${p.secret ?? 'policy'} ${p.field}`)).toEqual([
      'policy stackName',
      'ci schedule.expression',
      'ci schedule.window',
      'orders-db strategy',
    ]);
    expect(message).toMatch(/^The rotation policy has 4 problems:\n/);
    expect(message).toContain(
      '  - secret "ci": schedule.window: got 30 hours; allowed: whole hours from 1 to 2 (it must end before the next window or UTC day starts)',
    );
    expect(message).toContain('  - policy: stackName: got "-"; allowed:');
    expect(message).toMatchSnapshot();
  });

  it('never echoes a credential pasted into a new secret template', () => {
    // GIVEN
    const pasted = 'hunter2-but-longer-and-secret';
    recordSecretMaterial(pasted);
    const policy = withSecret(VALID_SECRETS.sharedKey, {
      secret: { create: { template: { username: 'app', password: pasted } } },
      paused: true,
    });

    // WHEN
    const { problems, message } = refusalOf(policy);

    // THEN
    expect(message).toMatchSnapshot();
    expect(problems).toEqual([
      expect.objectContaining({
        secret: 'partner',
        field: 'secret.create.template.password',
        received: 'a value (not shown)',
      }),
    ]);
    expect(JSON.stringify(problems)).not.toContain(pasted);
  });

  it('accepts a created secret while it is paused', () => {
    // WHEN
    const resolved = validatePolicy(
      withSecret(VALID_SECRETS.sharedKey, {
        secret: { create: { name: 'partner/key', template: { owner: 'team' } } },
        paused: true,
      }),
    );

    // THEN
    expect(resolved.secrets[0]).toMatchObject({ paused: true, source: { create: { name: 'partner/key' } } });
  });

  it('keeps a cron schedule without an interval, so no maximum age derives from it', () => {
    // WHEN
    const resolved = validatePolicy(
      withSecret(VALID_SECRETS.sharedKey, { schedule: { expression: 'cron(0 21 ? * SUN *)' } }),
    );

    // THEN
    expect(resolved.secrets[0]?.schedule.rotationRules).toEqual({
      scheduleExpression: 'cron(0 21 ? * SUN *)',
      duration: '3h',
    });
    expect(resolved.secrets[0]?.maxAge).toBeUndefined();
  });
});
