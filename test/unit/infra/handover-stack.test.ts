import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoverApp } from '../../../infra/handover-app';
import { policy as examplePolicy } from '../../../infra/policy';
import { PolicyValidationError, type RotationPolicy } from '../../../infra/rotation-policy';
import { HandoverStack } from '../../../infra/stacks/handover-stack';
import { ACCOUNT, outdirs, REGION, secretArn, VALID_SECRETS, validPolicy } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

/** Every acknowledgement recorded in the app: `[construct path, rule id, reason]`. */
function acknowledgements(root: IConstruct): Array<[string, string, string]> {
  return root.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(
            ([id, reason]) => [construct.node.path, id, reason] as [string, string, string],
          ),
        ),
    );
}

const templateOf = (policy: RotationPolicy) => {
  const { stack } = createHandoverApp({
    policy,
    outdir: dirs.make(),
    bundling: false,
    nag: false,
    cloudFormationValidation: false,
  });
  return { stack, template: Template.fromStack(stack) };
};

describe('Stack: HandoverStack', () => {
  it('synthesizes the example policy with cdk-nag and CloudFormation validation, and no unacknowledged finding', () => {
    // GIVEN
    const outdir = dirs.make();
    const { app, stack } = createHandoverApp({ policy: examplePolicy, outdir, bundling: false });

    // WHEN
    app.synth();

    // THEN
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ conclusion: string }>;
    };
    expect(report.pluginReports.filter((plugin) => plugin.conclusion !== 'success')).toEqual([]);
    const template = Template.fromStack(stack);
    const counts = Object.fromEntries(
      [
        'AWS::Lambda::Function',
        'AWS::SecretsManager::RotationSchedule',
        'AWS::Lambda::Permission',
        'AWS::CloudWatch::Alarm',
        'AWS::SNS::Topic',
        'AWS::Events::Rule',
        'AWS::SecretsManager::Secret',
        'AWS::IAM::Role',
        'AWS::IAM::Policy',
      ].map((type) => [type, Object.keys(template.findResources(type)).length]),
    );
    expect(counts).toEqual({
      // postgres alternating-users, postgres single-user, mysql dual-password, IAM, API key, shared key
      // + the rollout function
      'AWS::Lambda::Function': 7,
      // every entry but the paused one
      'AWS::SecretsManager::RotationSchedule': 6,
      'AWS::Lambda::Permission': 6,
      // 6 function error alarms + RotationFailed for each of the 5 credential types; rollout: its
      // function's errors, executions failed / timed out / aborted, OldCredentialStillInUse per type
      'AWS::CloudWatch::Alarm': 20,
      'AWS::SNS::Topic': 1,
      // RotationFailed, and the rollout trigger on RotationSucceeded
      'AWS::Events::Rule': 2,
      // the paused, stack-created webhook signing key; the signing key of the partner webhook consumer
      'AWS::SecretsManager::Secret': 2,
      // + the rollout function, its state machine, and the rule's target role
      'AWS::IAM::Role': 9,
      // + the rollout tasks' own policy
      'AWS::IAM::Policy': 10,
    });
    template.hasOutput('AlarmTopicArn', {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'service', Value: 'handover' }]),
    });
    // Every rotation function knows its secrets are rolled out by the stack's workflow.
    const rotationFunctions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) =>
        String(fn.Properties?.Description ?? '').startsWith('Handover: ') &&
        !String(fn.Properties?.Description ?? '').includes('rollout'),
    );
    expect(rotationFunctions).toHaveLength(6);
    for (const fn of rotationFunctions) {
      expect(fn.Properties?.Environment?.Variables?.HANDOVER_ROLLOUTS).toBe('tracked');
    }
  });

  it('gives every acknowledgement a specific written reason', () => {
    // GIVEN
    const { app, stack } = createHandoverApp({
      policy: examplePolicy,
      outdir: dirs.make(),
      bundling: false,
      cloudFormationValidation: false,
    });

    // WHEN
    const acks = acknowledgements(app);

    // THEN
    expect(new Set(acks.map(([, id]) => id))).toEqual(
      new Set([
        'Annotation::AwsSolutions-IAM5[Resource::*]',
        'Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:db:*]',
        'Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:cluster:*]',
        'Annotation::AwsSolutions-SMG4',
        'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        // The rollout: the state machine invokes its function (and versions), and the lock reads
        // the state machine's own executions.
        `Annotation::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(
          stack.rollout?.function.node.defaultChild as CfnElement,
        )}.Arn>:*]`,
        'Annotation::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:Handover-rollout:*]',
      ]),
    );
    for (const [path, id, reason] of acks) {
      expect(reason.length, `${path} ${id}`).toBeGreaterThan(80);
    }
    const iam5 = acks.filter(([, id]) => id.includes('IAM5')).map(([, , reason]) => reason);
    expect(iam5.some((reason) => reason.startsWith('X-Ray tracing'))).toBe(true);
    expect(iam5.some((reason) => reason.startsWith('VPC placement'))).toBe(true);
    expect(
      iam5.some((reason) =>
        reason.startsWith('shared-key: cloudwatch:GetMetricData supports no resource-level'),
      ),
    ).toBe(true);
    const rds = acks.filter(([, id]) => id.includes(':rds:')).map(([, , reason]) => reason);
    expect(rds.length).toBeGreaterThan(0);
    expect(
      rds.every((reason) =>
        /^(postgres|mysql): rds:DescribeDBInstances \/ rds:DescribeDBClusters/.test(reason),
      ),
    ).toBe(true);
  });

  it('fails synth on a finding nobody acknowledged (cdk-nag is active)', () => {
    // GIVEN
    const outdir = dirs.make();
    const { app, stack } = createHandoverApp({
      policy: examplePolicy,
      outdir,
      bundling: false,
      cloudFormationValidation: false,
    });
    new iam.Role(stack, 'Planted', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    }).addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));

    // WHEN / THEN
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
    const report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(report).toContain('Handover/Planted/DefaultPolicy/Resource');
    expect(report).not.toContain('RotationFunction');
  });

  it('refuses a bad policy before building anything', () => {
    // GIVEN
    const policy = validPolicy({ secrets: [{ ...VALID_SECRETS.iam, user: undefined as never }] });

    // WHEN / THEN
    expect(() => createHandoverApp({ policy, outdir: dirs.make(), bundling: false })).toThrow(
      PolicyValidationError,
    );
  });

  it('builds nothing for alarms when they are off', () => {
    // WHEN
    const { template } = templateOf(validPolicy({ alarms: { enabled: false } }));

    // THEN
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    // The rollout trigger is the only rule: no RotationFailed rule, no alarm topic.
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ detail: Match.objectLike({ eventName: ['RotationFailed'] }) }) },
      0,
    );
    expect(Object.keys(template.findOutputs('*'))).toEqual(['RolloutStateMachineArn']);
  });

  it('imports VPC, subnets, endpoint and database security groups by id, and shares one function per type and network', () => {
    // WHEN
    const { template } = templateOf(
      validPolicy({
        secrets: [
          VALID_SECRETS.mysql,
          { ...VALID_SECRETS.mysql, id: 'billing-2', secret: { arn: secretArn('billing/app-2') } },
        ],
      }),
    );

    // THEN: one MySQL function (and the rollout function)
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 2);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d', 'subnet-0b1c2d3e'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0b0b0b0b',
      FromPort: 3307,
      ToPort: 3307,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0e0e0e0e',
      FromPort: 443,
      ToPort: 443,
    });
  });

  it('grants on a secret known by name through its partial ARN and the six-character wildcard', () => {
    // WHEN
    const { template } = templateOf(
      validPolicy({ secrets: [{ ...VALID_SECRETS.sharedKey, secret: { name: 'partner/key' } }] }),
    );

    // THEN
    const byName = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:${REGION}:${ACCOUNT}:secret:partner/key-??????`],
      ],
    };
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { SecretId: 'partner/key' });
    template.hasResourceProperties('AWS::Lambda::Permission', { SourceArn: byName });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:PutSecretValue']),
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  `:secretsmanager:${REGION}:${ACCOUNT}:secret:partner/key-??????`,
                ],
              ],
            },
          }),
        ]),
      },
    });
  });

  it('creates a paused secret from its template, without a schedule or a function', () => {
    // WHEN
    const { template } = templateOf(
      validPolicy({
        secrets: [
          {
            ...VALID_SECRETS.sharedKey,
            secret: { create: { name: 'partner/key', template: { owner: 'team-a' } } },
            paused: true,
          },
        ],
      }),
    );

    // THEN
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'partner/key',
      SecretString: '{"owner":"team-a"}',
    });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('lets Secrets Manager generate a field of a created secret', () => {
    // WHEN
    const { template } = templateOf(
      validPolicy({
        secrets: [
          {
            ...VALID_SECRETS.mysql,
            secret: {
              create: { template: { username: 'app', host: 'db.internal' }, generateKey: 'password' },
            },
            paused: true,
          },
        ],
      }),
    );

    // THEN
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"app","host":"db.internal"}',
        GenerateStringKey: 'password',
        ExcludePunctuation: true,
        PasswordLength: 32,
      },
    });
  });

  it('applies a role you bring, a permissions boundary, an existing topic, memory, retention and tags', () => {
    // WHEN
    const withRole = templateOf(
      validPolicy({
        secrets: [VALID_SECRETS.sharedKey],
        functions: {
          roleArn: `arn:aws:iam::${ACCOUNT}:role/rotation`,
          memorySize: 512,
          logRetentionDays: 90,
        },
        alarms: { topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:oncall` },
        tags: { team: 'platform' },
      }),
    ).template;
    const withBoundary = templateOf(
      validPolicy({
        secrets: [VALID_SECRETS.sharedKey],
        functions: { permissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/boundary` },
      }),
    ).template;

    // THEN
    // Every function runs with the role; only the service roles of the rollout state machine and
    // of its EventBridge trigger are created (a Lambda role cannot be assumed by those services).
    expect(
      Object.values(withRole.findResources('AWS::IAM::Role')).map(
        (role) =>
          (role as { Properties: { AssumeRolePolicyDocument: { Statement: Array<{ Principal: unknown }> } } })
            .Properties.AssumeRolePolicyDocument.Statement[0]?.Principal,
      ),
    ).toEqual([{ Service: 'states.amazonaws.com' }, { Service: 'events.amazonaws.com' }]);
    expect(Object.keys(withRole.findResources('AWS::Lambda::Function')).length).toBe(2);
    withRole.allResourcesProperties('AWS::Lambda::Function', {
      Role: `arn:aws:iam::${ACCOUNT}:role/rotation`,
    });
    withRole.hasResourceProperties('AWS::Lambda::Function', {
      Role: `arn:aws:iam::${ACCOUNT}:role/rotation`,
      MemorySize: 512,
      Tags: Match.arrayWith([{ Key: 'team', Value: 'platform' }]),
    });
    withRole.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    withRole.resourceCountIs('AWS::SNS::Topic', 0);
    withRole.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [`arn:aws:sns:${REGION}:${ACCOUNT}:oncall`],
    });
    withBoundary.hasResourceProperties('AWS::IAM::Role', {
      PermissionsBoundary: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
    });
  });

  it('adds AWS Config age checks per secret when the policy asks, with interval plus grace as the maximum age', () => {
    // WHEN
    const { template } = templateOf(
      validPolicy({
        alarms: { secretAgeChecks: true },
        secrets: [{ ...VALID_SECRETS.iam, schedule: { expression: 'rate(90 days)' } }],
      }),
    );

    // THEN
    template.hasResourceProperties('AWS::Config::ConfigRule', {
      Source: { Owner: 'AWS', SourceIdentifier: 'SECRETSMANAGER_SECRET_PERIODIC_ROTATION' },
      InputParameters: { maxDaysSinceRotation: 91 },
    });
    template.resourceCountIs('AWS::Config::ConfigRule', 2);
  });

  it('takes the stack name and environment from the policy', () => {
    // WHEN
    const { stack } = templateOf(
      validPolicy({ stackName: 'Rotation-Prod', secrets: [VALID_SECRETS.sharedKey] }),
    );

    // THEN
    expect(stack).toBeInstanceOf(HandoverStack);
    expect(stack.stackName).toBe('Rotation-Prod');
    expect(stack.account).toBe(ACCOUNT);
    expect(stack.region).toBe(REGION);
    expect(Object.keys(stack.entries)).toEqual(['partner']);
  });

  it('writes the cloud assembly where it is told', () => {
    // GIVEN
    const outdir = dirs.make();

    // WHEN
    createHandoverApp({
      policy: examplePolicy,
      outdir,
      bundling: false,
      nag: false,
      cloudFormationValidation: false,
    }).app.synth();

    // THEN
    expect(existsSync(join(outdir, 'Handover.template.json'))).toBe(true);
  });
});
