/**
 * THE rotation policy: what Handover rotates, how and when. This is the one file a team edits;
 * `npm run synth` validates it (one error listing every problem) and builds the stack.
 *
 * The values below are an example covering every credential type, with placeholder ids and ARNs
 * (account 123456789012, eu-west-1): replace them with yours. The reference of every field and
 * default is in docs/policy.md.
 */
import { Duration } from 'aws-cdk-lib';
import { definePolicy } from './rotation-policy/types';

const account = '123456789012';
const region = 'eu-west-1';
const secretArn = (name: string) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;

export const policy = definePolicy({
  stackName: 'Handover',
  // Pin the deployment target, or leave it out to deploy where your CLI credentials point:
  // env: { account, region },
  tags: { service: 'handover', 'cost-center': 'platform' },

  alarms: {
    emails: ['oncall@example.com'],
    runbookUrl: 'https://github.com/example-org/handover/blob/main/docs/runbook.md',
    // AWS Config rules per secret (older than policy, overdue rotation): needs an AWS Config recorder.
    secretAgeChecks: false,
  },

  functions: {
    memorySize: 256,
    logRetentionDays: 365,
    // permissionsBoundaryArn: `arn:aws:iam::${account}:policy/team-boundary`,
  },

  networks: {
    // The application VPC: private subnets and the Secrets Manager interface endpoint, no NAT.
    app: {
      vpcId: 'vpc-0a1b2c3d4e5f67890',
      subnetIds: ['subnet-0a1b2c3d4e5f67890', 'subnet-0b1c2d3e4f5a67890'],
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      secretsManagerEndpoint: {
        endpointId: 'vpce-0a1b2c3d4e5f67890',
        securityGroupId: 'sg-0e1f2a3b4c5d67890',
      },
    },
  },

  secrets: [
    {
      // Zero downtime: two users alternated by the master user; the old one works until the next rotation.
      id: 'orders-db',
      type: 'postgres',
      strategy: 'alternating-users',
      secret: { arn: secretArn('orders/db/app-AbCdEf') },
      masterSecret: { arn: secretArn('orders/db/master-GhIjKl') },
      network: 'app',
      database: { securityGroupId: 'sg-0a1b2c3d4e5f67890', port: 5432 },
      schedule: { expression: 'rate(30 days)', window: Duration.hours(4) },
      grace: Duration.hours(24),
      consumers: [
        // ECS resolves `secrets` when a task starts; the rollout forces a new deployment.
        {
          kind: 'ecs-service',
          cluster: 'orders',
          service: 'orders-api',
          canary: true,
          reads: 'ecs-environment',
        },
        { kind: 'lambda', functionName: 'orders-nightly-export', reads: 'lambda-extension' },
      ],
      // Who reads the secret (CloudTrail): undeclared readers are named, and hold the revocation.
      readers: {
        ignore: [
          {
            principal: `arn:aws:iam::${account}:role/break-glass-*`,
            reason: 'incident responders read it by hand',
          },
        ],
      },
    },
    {
      // One user changing its own password, Sundays 03:00-06:00 UTC.
      id: 'reporting-db',
      type: 'postgres',
      strategy: 'single-user',
      secret: { arn: secretArn('reporting/db/reader-MnOpQr') },
      network: 'app',
      database: { securityGroupId: 'sg-0a1b2c3d4e5f67890' },
      schedule: { expression: 'cron(0 3 ? * SUN *)', window: Duration.hours(3) },
      consumers: [{ kind: 'ssm-parameter', parameterName: '/reporting/db-password' }],
    },
    {
      // MySQL 8 dual password: one user, old and new password valid until the rollout discards the old one.
      id: 'billing-db',
      type: 'mysql',
      strategy: 'dual-password',
      secret: {
        arn: secretArn('billing/db/app-StUvWx'),
        kmsKeyArn: `arn:aws:kms:${region}:${account}:key/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d`,
      },
      network: 'app',
      database: { securityGroupId: 'sg-0c1d2e3f4a5b67890', port: 3306 },
      consumers: [{ kind: 'ecs-service', cluster: 'billing', service: 'billing-api' }],
    },
    {
      // An IAM user's access keys (90 days): the function may manage this user's keys and no other.
      id: 'ci-deployer',
      type: 'iam-access-key',
      user: 'ci-deployer',
      secret: { arn: secretArn('ci/deployer-access-key-YzAbCd') },
      schedule: { expression: 'rate(90 days)', window: Duration.hours(2) },
      grace: Duration.hours(48),
      consumers: [{ kind: 'event', name: 'github-actions-deploy' }],
    },
    {
      // A third-party API key (180 days), created and deleted through the provider's management API.
      id: 'sendgrid-mail',
      type: 'api-key',
      secret: { arn: secretArn('mail/sendgrid-api-key-EfGhIj') },
      managementSecret: { arn: secretArn('mail/sendgrid-management-KlMnOp') },
      providerBaseUrls: { sendgrid: 'https://api.eu.sendgrid.com' },
      consumers: [{ kind: 'lambda', functionName: 'notifications-sender' }],
    },
    {
      // An internal API key our services verify with the verifier library (dual acceptance).
      id: 'partner-api-key',
      type: 'shared-key',
      secret: { arn: secretArn('partners/api-key-QrStUv') },
      schedule: { expression: 'rate(90 days)' },
      consumers: [{ kind: 'webhook', url: 'https://partner.example.com/handover/key-rotated' }],
    },
    {
      // A secret this stack creates: paused until the first key is stored
      // (aws secretsmanager put-secret-value --secret-id webhooks/signing-key --secret-string '{"key":"hk_..."}').
      id: 'webhook-signing-key',
      type: 'shared-key',
      secret: { create: { name: 'webhooks/signing-key', description: 'HMAC key of outgoing webhooks' } },
      paused: true,
    },
  ],

  // Secrets Handover follows but does not rotate: rollouts start on their RotationSucceeded event,
  // move the consumers and name who still holds the old password (already gone: nothing is revoked).
  follow: [
    {
      // The master user secret RDS manages for the orders database (rotated every 7 days by default).
      id: 'orders-db-master',
      secret: { arn: secretArn('rds!db-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-XyZaBc') },
      rotatedBy: 'rds',
      consumers: [{ kind: 'lambda', functionName: 'orders-db-migrations' }],
    },
  ],
});
