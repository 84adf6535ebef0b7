import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Consumer, Handover, Rotation, RotationSchedule } from 'handover';

export interface CiDeployerKeysStackProps extends cdk.StackProps {
  /** The role of the security on-call: it may assume Handover's break-glass role. */
  readonly securityOncallRoleArn: string;
}

/**
 * The access keys of the CI pipeline's IAM user, rotated every 90 days. The pipeline is told of
 * each new key by a signed webhook (Standard Webhooks; `receiver/server.ts` verifies it) and must
 * answer 2xx once it reads the new version; the old key is deactivated only after the grace window,
 * when IAM reports it unused.
 */
export class CiDeployerKeysStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props: CiDeployerKeysStackProps) {
    super(scope, id, props);

    // The user and its secret exist already ({ username, accessKeyId, secretAccessKey }).
    const user = iam.User.fromUserName(this, 'CiDeployer', 'ci-deployer');
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'CiDeployerKey', 'ci/deployer-access-key');

    new Handover(this, 'Handover', {
      breakGlass: { assumedBy: new iam.ArnPrincipal(props.securityOncallRoleArn) },
    });
    Handover.rotate(this, secret, Rotation.iamAccessKey({ user }), {
      schedule: RotationSchedule.rate(cdk.Duration.days(90), { window: cdk.Duration.hours(2) }),
      grace: cdk.Duration.hours(48),
      consumers: [Consumer.webhook('https://ci.example.com/hooks/handover', { name: 'ci-pipeline' })],
    });
  }
}
