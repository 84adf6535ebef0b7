import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, type Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Rotation,
  RotationConfigurationError,
  RotationFunction,
  RotationMonitoring,
  RotationSchedule,
  SecretRotation,
} from '../../../infra/constructs';
import { ACCOUNT, outdirs, REGION, secretArn, testNetwork, testStack } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

const importSecret = (stack: Stack, id: string, name: string, key?: kms.IKey) =>
  secretsmanager.Secret.fromSecretAttributes(stack, id, {
    secretCompleteArn: secretArn(name),
    encryptionKey: key,
  });

/** The statements of the one rotation function role policy in the template. */
function statements(template: Template): unknown[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return (policies[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
    .PolicyDocument.Statement;
}

/** `kms:ViaService` as the template holds it (the URL suffix differs per partition). */
const VIA_SECRETS_MANAGER = { 'Fn::Join': ['', [`secretsmanager.${REGION}.`, { Ref: 'AWS::URLSuffix' }]] };

/** The RDS endpoint look-ups every database rotation function gets: this account's and region's instances and clusters. */
const RDS_DESCRIBE = (['db', 'cluster'] as const).map((resource) => ({
  Action: resource === 'db' ? 'rds:DescribeDBInstances' : 'rds:DescribeDBClusters',
  Effect: 'Allow',
  Resource: {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:rds:${REGION}:${ACCOUNT}:${resource}:*`]],
  },
}));

const PROTOCOL_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

describe('Construct: SecretRotation', () => {
  it('deploys a pinned, traced, ARM64 function with a retained log group and a role without managed policies', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('LogGroup') } },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'handover',
          POWERTOOLS_METRICS_NAMESPACE: 'Handover',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      },
      ManagedPolicyArns: Match.absent(),
    });
    expect(statements(template)).toContainEqual({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/LogGroup/), 'Arn'] },
    });
  });

  it('schedules rotation with an expression and a window, and only tests the configuration on deploy', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      schedule: RotationSchedule.cron('cron(0 3 ? * SUN *)', { window: Duration.hours(2) }),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SecretsManager::RotationSchedule', {
      Properties: {
        SecretId: secretArn('partner/key'),
        RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('Function'), 'Arn'] },
        RotationRules: { ScheduleExpression: 'cron(0 3 ? * SUN *)', Duration: '2h' },
        RotateImmediatelyOnUpdate: false,
      },
      DependsOn: Match.arrayWith([
        Match.stringLikeRegexp('PartnerInvokePermission'),
        Match.stringLikeRegexp('FunctionRoleDefaultPolicy'),
      ]),
    });
  });

  it('uses the type default interval with a 4-hour window, and rotates on deploy when asked', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Ci', {
      secret: importSecret(stack, 'Secret', 'ci/key'),
      rotation: Rotation.iamAccessKey({ user: iam.User.fromUserName(stack, 'User', 'ci-deployer') }),
      rotateImmediately: true,
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(90 days)', Duration: '4h' },
      RotateImmediatelyOnUpdate: true,
    });
  });

  it('lets Secrets Manager invoke the function for this secret and account only', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: ACCOUNT,
      SourceArn: secretArn('partner/key'),
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('Function'), 'Arn'] },
    });
  });

  it('grants the four protocol calls on exactly the rotated secret, and its KMS key through Secrets Manager only', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const key = kms.Key.fromKeyArn(
      stack,
      'Key',
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d`,
    );

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key', key),
      rotation: Rotation.sharedKey(),
    });

    // THEN
    const all = statements(Template.fromStack(stack));
    expect(all).toContainEqual({
      Action: PROTOCOL_ACTIONS,
      Effect: 'Allow',
      Resource: secretArn('partner/key'),
    });
    expect(all).toContainEqual({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Effect: 'Allow',
      Resource: key.keyArn,
      Condition: {
        StringEquals: { 'kms:ViaService': VIA_SECRETS_MANAGER },
        StringLike: { 'kms:EncryptionContext:SecretARN': secretArn('partner/key') },
      },
    });
  });

  it.each([
    [
      'postgres alternating-users: the master secret read-only (and its tags), its key through Secrets Manager',
      (stack: Stack) =>
        Rotation.postgresAlternatingUsers({
          masterSecret: importSecret(
            stack,
            'Master',
            'db/master',
            kms.Key.fromKeyArn(
              stack,
              'MasterKey',
              `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000001`,
            ),
          ),
        }),
      [
        ...RDS_DESCRIBE,
        { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: secretArn('db/master') },
        {
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000001`,
          Condition: { StringEquals: { 'kms:ViaService': VIA_SECRETS_MANAGER } },
        },
        { Action: 'secretsmanager:DescribeSecret', Effect: 'Allow', Resource: secretArn('db/master') },
      ],
    ],
    [
      'postgres single-user: RDS endpoint look-ups, nothing else beyond the secret',
      () => Rotation.postgresSingleUser(),
      RDS_DESCRIBE,
    ],
    [
      'mysql dual-password: RDS endpoint look-ups, nothing else beyond the secret',
      () => Rotation.mysqlDualPassword(),
      RDS_DESCRIBE,
    ],
    [
      'mysql alternating-users: the master secret read-only, and its tags (an RDS-managed master secret names its database)',
      (stack: Stack) =>
        Rotation.mysqlAlternatingUsers({ masterSecret: importSecret(stack, 'Master', 'db/master') }),
      [
        ...RDS_DESCRIBE,
        { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: secretArn('db/master') },
        { Action: 'secretsmanager:DescribeSecret', Effect: 'Allow', Resource: secretArn('db/master') },
      ],
    ],
    [
      "iam-access-key: the named user's keys, and no other user; CloudTrail lookups to name an old key's callers",
      (stack: Stack) =>
        Rotation.iamAccessKey({
          user: iam.User.fromUserArn(stack, 'User', `arn:aws:iam::${ACCOUNT}:user/ci/deployer`),
        }),
      [
        { Action: 'cloudtrail:LookupEvents', Effect: 'Allow', Resource: '*' },
        {
          Action: [
            'iam:CreateAccessKey',
            'iam:ListAccessKeys',
            'iam:UpdateAccessKey',
            'iam:DeleteAccessKey',
            'iam:GetAccessKeyLastUsed',
            'iam:GetUser',
          ],
          Effect: 'Allow',
          Resource: `arn:aws:iam::${ACCOUNT}:user/ci/deployer`,
        },
      ],
    ],
    [
      'api-key: the management secret read-only',
      (stack: Stack) =>
        Rotation.apiKey({ managementSecret: importSecret(stack, 'Management', 'mail/management') }),
      [{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: secretArn('mail/management') }],
    ],
    [
      'shared-key: the verifier metrics (and the callers they name) and the version list of the rotated secret',
      () => Rotation.sharedKey(),
      [
        { Action: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], Effect: 'Allow', Resource: '*' },
        { Action: 'secretsmanager:ListSecretVersionIds', Effect: 'Allow', Resource: secretArn('rotated') },
      ],
    ],
  ])('grants %s', (_, rotationOf, expected) => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const rotation = rotationOf(stack);
    const inVpc = rotation.type === 'postgres' || rotation.type === 'mysql';

    // WHEN
    new SecretRotation(stack, 'Rotated', {
      secret: importSecret(stack, 'Secret', 'rotated'),
      rotation,
      network: inVpc ? testNetwork(stack) : undefined,
    });

    // THEN: exactly these statements besides logs, tracing, VPC interfaces and the protocol calls.
    const rest = statements(Template.fromStack(stack)).filter((statement) => {
      const action = JSON.stringify((statement as { Action: unknown }).Action);
      return !/logs:|xray:|ec2:/.test(action) && action !== JSON.stringify(PROTOCOL_ACTIONS);
    });
    expect(rest).toEqual(expected);
  });

  it.each([
    ['in a fixed environment', true],
    ['environment-agnostic', false],
  ])(
    'acknowledges the RDS look-up wildcard with a written reason, so cdk-nag passes a database rotation (%s)',
    (_name, env) => {
      // GIVEN
      const outdir = dirs.make();
      const { app, stack } = testStack(outdir, env);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      // WHEN
      new SecretRotation(stack, 'Orders', {
        secret: importSecret(stack, 'Secret', 'orders/app'),
        rotation: Rotation.postgresAlternatingUsers({
          masterSecret: importSecret(stack, 'Master', 'orders/master'),
        }),
        network: testNetwork(stack),
      });
      app.synth();

      // THEN
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ conclusion: string; violations?: unknown[] }>;
      };
      expect(report.pluginReports).toEqual([]);
      const reasons = stack.node
        .findAll()
        .flatMap((construct) => construct.node.metadata)
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .filter(([id]) => id.includes(':rds:'));
      expect(reasons.map(([id]) => id).sort()).toEqual(
        (['cluster', 'db'] as const).map(
          (resource) =>
            `Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${env ? REGION : '<AWS::Region>'}:${env ? ACCOUNT : '<AWS::AccountId>'}:${resource}:*]`,
        ),
      );
      for (const [, reason] of reasons)
        expect(reason).toMatch(/^postgres: rds:DescribeDBInstances \/ rds:DescribeDBClusters/);
    },
  );

  it('sets the type environment from the settings', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Db', {
      secret: importSecret(stack, 'Secret', 'db'),
      rotation: Rotation.mysqlDualPassword({
        tlsMode: 'verify-ca',
        passwordLength: 40,
        connectTimeoutMs: 2000,
      }),
      network: testNetwork(stack),
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HANDOVER_MYSQL_MODE: 'dual-password',
          HANDOVER_TLS_MODE: 'verify-ca',
          HANDOVER_PASSWORD_LENGTH: '40',
          HANDOVER_CONNECT_TIMEOUT_MS: '2000',
        }),
      },
    });
  });

  it('opens the database port from the function security group, and HTTPS to the Secrets Manager endpoint only', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const dbSg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'DbSg', 'sg-0d0d0d0d');

    // WHEN
    new SecretRotation(stack, 'Orders', {
      secret: importSecret(stack, 'Secret', 'orders'),
      rotation: Rotation.postgresSingleUser({ database: { securityGroup: dbSg } }),
      network: testNetwork(stack),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: 'vpc-0a1b2c3d',
      SecurityGroupEgress: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0d0d0d0d',
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationSecurityGroupId: 'sg-0d0d0d0d',
      FromPort: 5432,
      ToPort: 5432,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0e0e0e0e',
      FromPort: 443,
      ToPort: 443,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      DestinationSecurityGroupId: 'sg-0e0e0e0e',
      FromPort: 443,
      ToPort: 443,
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 2);
    // Secrets Manager tests the configuration as soon as the schedule exists: the rules come first.
    const ingressRules = Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingressRules).toHaveLength(2);
    template.hasResource('AWS::SecretsManager::RotationSchedule', {
      DependsOn: Match.arrayWith(ingressRules),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-0a1b2c3d'],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.anyValue(), 'GroupId'] }],
      },
    });
    expect(statements(template)).toContainEqual({
      Sid: 'LambdaVpcNetworkInterfaces',
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Effect: 'Allow',
      Resource: '*',
    });
  });

  it('allows HTTPS anywhere through a declared NAT gateway', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Orders', {
      secret: importSecret(stack, 'Secret', 'orders'),
      rotation: Rotation.postgresSingleUser(),
      network: testNetwork(stack, { endpoint: false, nat: true }),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('no route to Secrets Manager'));
  });

  it('warns at synth when a function in a VPC has no route to Secrets Manager', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Orders', {
      secret: importSecret(stack, 'Secret', 'orders'),
      rotation: Rotation.postgresSingleUser(),
      network: testNetwork(stack, { endpoint: false }),
    });

    // THEN
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(
        'no route to Secrets Manager: no Secrets Manager VPC endpoint was given and no NAT gateway was declared',
      ),
    );
  });

  it('warns when a type that needs the internet runs in a VPC without NAT', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Ci', {
      secret: importSecret(stack, 'Secret', 'ci'),
      rotation: Rotation.iamAccessKey({ user: iam.User.fromUserName(stack, 'User', 'ci') }),
      network: testNetwork(stack),
    });

    // THEN
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp('without a declared NAT gateway, but it calls IAM'),
    );
  });

  it('shares one function between secrets of the same type, settings and placement', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    for (const name of ['a', 'b']) {
      new SecretRotation(stack, `Key-${name}`, {
        secret: importSecret(stack, `Secret-${name}`, name),
        rotation: Rotation.sharedKey(),
      });
    }
    new SecretRotation(stack, 'Key-c', {
      secret: importSecret(stack, 'Secret-c', 'c'),
      rotation: Rotation.sharedKey({ requireVerifierHeartbeat: false }),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
    template.resourceCountIs('AWS::Lambda::Permission', 3);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT: 'false' }) },
    });
  });

  it('alarms on function errors and on the engine RotationFailed metric of the type, with its real dimensions', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('HandoverMonitoringTopic') }],
      AlarmDescription: Match.stringLikeRegexp(
        'What happened: .* What to do: .* Runbook: docs/runbook.md#runbook-rotation-lambda-errors$',
      ),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Handover',
      MetricName: 'RotationFailed',
      Dimensions: [
        { Name: 'credential_type', Value: 'shared-key' },
        { Name: 'service', Value: 'handover' },
      ],
      Statistic: 'Sum',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbook.md#runbook-rotation-failed-metric$'),
    });
  });

  it('creates no alarm when alarms are off', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      alarms: false,
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::Events::Rule', 0);
  });

  it('applies a permissions boundary, memory and timeout to the role and function it creates', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const boundary = iam.ManagedPolicy.fromManagedPolicyArn(
      stack,
      'Boundary',
      `arn:aws:iam::${ACCOUNT}:policy/boundary`,
    );

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      permissionsBoundary: boundary,
      memorySize: 512,
      timeout: Duration.seconds(45),
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
    });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 45 });
  });

  it('adds its statements to a role you bring instead of creating one', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const role = iam.Role.fromRoleArn(stack, 'Own', `arn:aws:iam::${ACCOUNT}:role/rotation`, {
      mutable: true,
    });

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      role,
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: `arn:aws:iam::${ACCOUNT}:role/rotation`,
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['rotation'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: PROTOCOL_ACTIONS, Effect: 'Allow', Resource: secretArn('partner/key') },
        ]),
      },
    });
  });

  it('adds AWS Config age checks when asked, notifying the topic on NON_COMPLIANT', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      schedule: RotationSchedule.rate(Duration.days(30)),
      ageChecks: true,
    });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Config::ConfigRule', {
      Source: { Owner: 'AWS', SourceIdentifier: 'SECRETSMANAGER_SECRET_PERIODIC_ROTATION' },
      InputParameters: { maxDaysSinceRotation: 31 },
      Scope: {
        ComplianceResourceId: secretArn('partner/key'),
        ComplianceResourceTypes: ['AWS::SecretsManager::Secret'],
      },
    });
    template.hasResourceProperties('AWS::Config::ConfigRule', {
      Source: { Owner: 'AWS', SourceIdentifier: 'SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK' },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.config'],
        detail: Match.objectLike({ newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } }),
      }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('HandoverMonitoringTopic') } })],
    });
  });

  it('shares a function created explicitly, and refuses one of another type', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const fn = new RotationFunction(stack, 'Shared', { type: 'shared-key' });

    // WHEN
    const rotation = new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      rotationFunction: fn,
    });

    // THEN
    expect(rotation.rotationFunction).toBe(fn);
    expect(
      () =>
        new SecretRotation(stack, 'Ci', {
          secret: importSecret(stack, 'CiSecret', 'ci'),
          rotation: Rotation.iamAccessKey({ user: iam.User.fromUserName(stack, 'User', 'ci') }),
          rotationFunction: fn,
        }),
    ).toThrow(/rotationFunction: got a shared-key function; allowed: a iam-access-key function/);
  });

  it('refuses a configuration with ONE error listing every problem', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    const secret = importSecret(stack, 'Secret', 'orders');

    // WHEN
    let error: unknown;
    try {
      new SecretRotation(stack, 'Orders', {
        secret,
        rotation: Rotation.postgresSingleUser({ passwordLength: 8, tlsMode: 'prefer' as never }),
        schedule: RotationSchedule.rate(Duration.hours(2)),
      });
    } catch (caught) {
      error = caught;
    }

    // THEN
    expect(error).toBeInstanceOf(RotationConfigurationError);
    expect((error as Error).message).toBe(
      [
        'Test/Orders: 4 problems:',
        '  - tlsMode: got "prefer"; allowed: one of disable, require, verify-ca, verify-full',
        '  - passwordLength: got 8; allowed: an integer from 16 to 128',
        '  - network: got nothing; allowed: a VPC placement (vpc id, subnet ids): postgres rotation connects to the database inside its VPC',
        '  - schedule.expression: got "rate(2 hours)"; allowed: rate(4 hours) to rate(23 hours) (Secrets Manager rotates at most every 4 hours; use days beyond 23 hours)',
      ].join('\n'),
    );
  });

  it('uses the monitoring it is given', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const monitoring = new RotationMonitoring(stack, 'Alarms', {
      runbookUrl: 'https://example.com/README.md',
    });

    // WHEN
    new SecretRotation(stack, 'Partner', {
      secret: importSecret(stack, 'Secret', 'partner/key'),
      rotation: Rotation.sharedKey(),
      monitoring,
    });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      AlarmDescription: Match.stringLikeRegexp('Runbook: https://example.com/README.md#runbook-'),
    });
  });
});
