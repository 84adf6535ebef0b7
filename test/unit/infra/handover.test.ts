import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Consumer,
  Handover,
  Rotation,
  RotationConfigurationError,
  type SecretRotation,
} from '../../../infra/constructs';
import { createHandoverApp } from '../../../infra/handover-app';
import { policy as examplePolicy } from '../../../infra/policy';
import { ACCOUNT, outdirs, policyStack, REGION, secretArn, testNetwork, testStack } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

/** The rollout configuration parameter's JSON, with every token as `<token>`. */
function rolloutConfig(template: Template): Record<string, unknown> {
  const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter'));
  const value = parameter?.Properties?.Value as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof value === 'string'
      ? value
      : value['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('Construct: Handover', () => {
  it('rotates an existing secret in one line and rolls it out to its consumers, with a dashboard and an output', () => {
    // GIVEN an existing app: a database secret, an ECS service and a Lambda function reading it
    const { stack } = testStack(dirs.make());
    const network = testNetwork(stack);
    const masterSecret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Master',
      secretArn('orders/master'),
    );
    const secret = new secretsmanager.Secret(stack, 'OrdersDb', { secretName: 'orders/db/app' });
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'orders',
      vpc: network.vpc,
    });
    const api = ecs.FargateService.fromFargateServiceAttributes(stack, 'Api', {
      cluster,
      serviceName: 'orders-api',
    });
    const exporter = new lambda.Function(stack, 'Exporter', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 0;'),
    });

    // WHEN
    const rotation: SecretRotation = Handover.rotate(
      stack,
      secret,
      Rotation.postgresAlternatingUsers({ masterSecret }),
      {
        network,
        consumers: [Consumer.ecsService(api, { canary: true }), Consumer.lambda(exporter)],
      },
    );

    // THEN
    expect(rotation.node.path).toBe('Test/OrdersDb/HandoverRotation');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'Test-rollout' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Test-handover' });
    template.hasOutput('HandoverRolloutStateMachineArn', {});
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/handover/rollout/orders/db/app' });
    expect(rolloutConfig(template)).toMatchObject({
      credentialType: 'postgres',
      graceSeconds: 86_400,
      usageRecheckSeconds: 3600,
      usageMaxChecks: 24,
      maxConcurrency: 4,
      consumers: [
        { name: 'orders-api', canary: true, kind: 'ecs-service', cluster: 'orders', service: 'orders-api' },
        // A function created in the app: named after its construct, its name resolved at deploy.
        { name: 'Exporter', kind: 'lambda', functionName: '<token>' },
      ],
    });
    // The rotation function knows its secrets are rolled out (the interlock's never-recorded rule).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HANDOVER_ROLLOUTS: 'tracked' }) },
    });
  });

  it('writes the same rollout configuration as the policy file for the same secret and consumers', () => {
    // GIVEN the policy file's entry
    const entry = {
      id: 'orders-db',
      type: 'postgres',
      strategy: 'alternating-users',
      secret: { arn: secretArn('orders/app') },
      masterSecret: { arn: secretArn('orders/master') },
      network: {
        vpcId: 'vpc-0a1b2c3d',
        subnetIds: ['subnet-0a1b2c3d'],
        availabilityZones: ['eu-west-1a'],
        secretsManagerEndpoint: { endpointId: 'vpce-0a1b2c3d', securityGroupId: 'sg-0e0e0e0e' },
      },
      consumers: [
        { kind: 'ecs-service', cluster: 'orders', service: 'orders-api', canary: true },
        { kind: 'lambda', functionName: 'orders-export' },
        { kind: 'webhook', url: 'https://partner.example.com/rotated' },
      ],
    } as const;
    const { stack: fromPolicy } = policyStack(
      { env: { account: ACCOUNT, region: REGION }, secrets: [entry] },
      dirs.make(),
    );

    // WHEN the same secret and consumers in an app, with the library's defaults
    const { stack } = testStack(dirs.make());
    const network = testNetwork(stack);
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', {
      clusterName: 'orders',
      vpc: network.vpc,
    });
    Handover.rotate(
      stack,
      secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', entry.secret.arn),
      Rotation.postgresAlternatingUsers({
        masterSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Master', entry.masterSecret.arn),
      }),
      {
        id: 'orders-db',
        network,
        consumers: [
          Consumer.ecsService(
            ecs.FargateService.fromFargateServiceAttributes(stack, 'Api', {
              cluster,
              serviceName: 'orders-api',
            }),
            { canary: true },
          ),
          Consumer.lambda(
            lambda.Function.fromFunctionAttributes(stack, 'Export', {
              functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-export`,
              sameEnvironment: true,
            }),
          ),
          Consumer.webhook('https://partner.example.com/rotated'),
        ],
      },
    );

    // THEN
    expect(rolloutConfig(Template.fromStack(stack))).toEqual(rolloutConfig(Template.fromStack(fromPolicy)));
  });

  it('refuses bad consumers and a secret whose name it cannot tell, listing every problem', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    // A secret of another stack, known by a token: its name is not known at synth.
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Secret', {
      secretPartialArn: Fn.importValue('OrdersSecretArn'),
    });

    // WHEN / THEN
    let caught: unknown;
    try {
      Handover.rotate(stack, secret, Rotation.sharedKey(), {
        consumers: [
          { kind: 'webhook', url: 'http://partner.example.com/rotated' },
          { kind: 'lambda', functionName: 'not a name' },
        ],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RotationConfigurationError);
    expect((caught as RotationConfigurationError).problems.map((problem) => problem.field)).toEqual([
      'consumers[0].url',
      'consumers[1].functionName',
      'secretName',
    ]);
    expect((caught as Error).message).toContain('3 problems');
    expect(
      stack.node.tryFindChild('Handover')?.node.children.some((child) => child.node.id === 'Rollout'),
    ).not.toBe(true);
  });

  it('offers metricXxx and grantXxx as aws-secretsmanager does: rotation and rollout metrics, starting a rollout', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', secretArn('partner/key'));
    const rotation = Handover.rotate(stack, secret, Rotation.sharedKey());
    const responder = new iam.Role(stack, 'Responder', { assumedBy: new iam.AccountRootPrincipal() });

    // WHEN: granted before the rollout workflow exists (it is built at synth)
    Handover.of(stack).grantStartRollout(responder);
    const template = Template.fromStack(stack);
    const rollout = Handover.of(stack).rollout;

    // THEN
    expect(rotation.metricRotationFailed()).toMatchObject({
      namespace: 'Handover',
      metricName: 'RotationFailed',
      dimensions: { service: 'handover', credential_type: 'shared-key' },
    });
    expect(rotation.metricStepDuration('setSecret')).toMatchObject({
      metricName: 'StepDuration',
      statistic: 'p90',
      dimensions: { service: 'handover', credential_type: 'shared-key', step: 'setSecret' },
    });
    expect(rollout?.metricEmergencyRollouts('shared-key')).toMatchObject({ metricName: 'EmergencyRollout' });
    expect(rollout?.metricRolloutFailed('shared-key')).toMatchObject({ metricName: 'RolloutFailed' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Responder') }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'states:StartExecution',
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, `:states:${REGION}:${ACCOUNT}:stateMachine:Test-rollout`],
              ],
            },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'Test-rollout' });
  });

  it('builds nothing shared when no secret rotates, and no dashboard when told so', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    new Handover(stack, 'Handover', { dashboard: false });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', secretArn('partner/key'));

    // WHEN
    Handover.rotate(stack, secret, Rotation.sharedKey());

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    const { stack: empty } = testStack(dirs.make());
    Handover.of(empty);
    Template.fromStack(empty).resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });
});

describe('Construct: BreakGlassRole', () => {
  it('is assumable by the principal named only, may start rollouts and read their status, nothing else', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());
    new Handover(stack, 'Handover', {
      breakGlass: { assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/SecurityOncall`) },
    });

    // WHEN
    Handover.rotate(
      stack,
      secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', secretArn('ci/key')),
      Rotation.iamAccessKey({ user: iam.User.fromUserName(stack, 'Ci', 'ci-deployer') }),
    );

    // THEN
    const template = Template.fromStack(stack);
    template.hasOutput('HandoverBreakGlassRoleArn', {});
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      ManagedPolicyArns: Match.absent(),
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/SecurityOncall` },
          },
        ],
      },
    });
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('break-glass') },
    });
    const [roleId] = Object.keys(roles);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties?.Roles).includes(roleId ?? '?'),
    );
    const statements = policies.flatMap(
      (policy) =>
        (policy.Properties as { PolicyDocument: { Statement: Array<{ Sid: string; Action: unknown }> } })
          .PolicyDocument.Statement,
    );
    expect(statements.map((statement) => [statement.Sid, statement.Action])).toEqual([
      ['StartRollouts', 'states:StartExecution'],
      ['ReadRollouts', ['states:DescribeStateMachine', 'states:ListExecutions']],
      ['ReadRolloutExecutions', ['states:DescribeExecution', 'states:GetExecutionHistory']],
      ['ReadRolloutConfigurations', ['ssm:GetParameter', 'ssm:GetParametersByPath']],
      ['ReadRotationStatus', ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds']],
    ]);
    expect(JSON.stringify(statements)).toContain('execution:Test-rollout:*');
  });

  it('is built from the policy and passes cdk-nag with the example policy', () => {
    // GIVEN
    const outdir = dirs.make();
    const { app, stack } = createHandoverApp({
      policy: {
        ...examplePolicy,
        breakGlass: { principalArns: [`arn:aws:iam::${ACCOUNT}:role/SecurityOncall`] },
      },
      outdir,
      bundling: false,
      cloudFormationValidation: false,
    });

    // WHEN
    app.synth();

    // THEN
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ conclusion: string }>;
    };
    expect(report.pluginReports.filter((plugin) => plugin.conclusion !== 'success')).toEqual([]);
    expect(stack.breakGlassRole).toBeDefined();
    Template.fromStack(stack).hasOutput('BreakGlassRoleArn', {});
  });

  it('passes cdk-nag in an app that uses only the library: Handover.rotate with a break-glass role', () => {
    // GIVEN a Handover stack with the role, checked by cdk-nag
    const app = new App({
      outdir: dirs.make(),
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Nag', { env: { account: ACCOUNT, region: REGION } });
    new Handover(stack, 'Handover', {
      breakGlass: { assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/SecurityOncall`) },
    });
    Handover.rotate(
      stack,
      secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', secretArn('partner/key')),
      Rotation.sharedKey(),
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // WHEN / THEN: an unacknowledged finding would make synth throw
    expect(() => app.synth()).not.toThrow();
  });
});
