#!/usr/bin/env node
import * as cdk from 'aws-cdk-lib';
import { CiDeployerKeysStack } from '../lib/ci-deployer-keys-stack';

const app = new cdk.App();
new CiDeployerKeysStack(app, 'CiDeployerKeys', {
  // Break-glass for the security on-call, who may start an emergency rotation of the CI key.
  securityOncallRoleArn: 'arn:aws:iam::123456789012:role/SecurityOncall',
});
