import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { RotationNetwork } from '../../../infra/constructs';
import { createHandoverApp } from '../../../infra/handover-app';
import type { RotationPolicy, SecretPolicy } from '../../../infra/rotation-policy';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const secretArn = (name: string) =>
  `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

/** Temporary cloud-assembly folders, removed after each test (`Template.fromStack` writes there). */
export function outdirs(): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), 'handover-infra-'));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An app with its own outdir that skips bundling and CDK's built-in CloudFormation validation (a
 * WASM engine that costs seconds per test file; the example synth test keeps it on), and a stack
 * in a fixed environment.
 */
export function testStack(outdir: string, env = true): { app: App; stack: Stack } {
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Test', env ? { env: { account: ACCOUNT, region: REGION } } : {});
  return { app, stack };
}

/** A VPC placement made of imported ids. */
export function testNetwork(
  stack: Stack,
  options: { endpoint?: boolean; nat?: boolean } = {},
): RotationNetwork {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d',
    availabilityZones: ['eu-west-1a'],
  });
  const subnets = [
    ec2.Subnet.fromSubnetAttributes(stack, 'Subnet', {
      subnetId: 'subnet-0a1b2c3d',
      availabilityZone: 'eu-west-1a',
    }),
  ];
  return {
    vpc,
    subnets: { subnets },
    secretsManagerEndpoint:
      options.endpoint === false
        ? undefined
        : ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(stack, 'Endpoint', {
            vpcEndpointId: 'vpce-0a1b2c3d',
            port: 443,
            securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'EndpointSg', 'sg-0e0e0e0e')],
          }),
    natGateway: options.nat ?? false,
  };
}

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d',
  subnetIds: ['subnet-0a1b2c3d', 'subnet-0b1c2d3e'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  secretsManagerEndpoint: { endpointId: 'vpce-0a1b2c3d', securityGroupId: 'sg-0e0e0e0e' },
};

/** One valid entry per credential type (and strategy), to build policies and break them. */
export const VALID_SECRETS = {
  postgres: {
    id: 'orders-db',
    type: 'postgres',
    strategy: 'alternating-users',
    secret: { arn: secretArn('orders/app') },
    masterSecret: { arn: secretArn('orders/master') },
    network: 'app',
    database: { securityGroupId: 'sg-0a0a0a0a' },
  },
  mysql: {
    id: 'billing-db',
    type: 'mysql',
    strategy: 'single-user',
    secret: { arn: secretArn('billing/app') },
    network: 'app',
    database: { securityGroupId: 'sg-0b0b0b0b', port: 3307 },
  },
  iam: { id: 'ci', type: 'iam-access-key', user: 'ci-deployer', secret: { arn: secretArn('ci/key') } },
  apiKey: {
    id: 'mail',
    type: 'api-key',
    secret: { arn: secretArn('mail/key') },
    managementSecret: { arn: secretArn('mail/management') },
  },
  sharedKey: { id: 'partner', type: 'shared-key', secret: { arn: secretArn('partner/key') } },
} satisfies Record<string, SecretPolicy>;

/** A valid policy holding every type; `secrets` replaces the list. */
export function validPolicy(overrides: Partial<RotationPolicy> = {}): RotationPolicy {
  return {
    env: { account: ACCOUNT, region: REGION },
    networks: { app: NETWORK },
    secrets: Object.values(VALID_SECRETS),
    ...overrides,
  };
}

/**
 * A policy's stack as the infra tests synthesize it: bundling, cdk-nag and CloudFormation validation
 * off, in its own outdir (from `dirs`, cleaned by the caller).
 */
export function policyStack(policy: RotationPolicy, outdir: string) {
  return createHandoverApp({ policy, outdir, bundling: false, nag: false, cloudFormationValidation: false });
}
