import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { SecretReference } from '../../lambdas/rollout/consumers/consumer-contract';

/**
 * Imports a secret a policy or a consumer names: by complete ARN, or by name (then its partial ARN,
 * which policies extend with `-??????`), with its own KMS key (`<id>Key`) when it has one.
 */
export function importSecret(
  scope: Construct,
  id: string,
  reference: SecretReference,
): secretsmanager.ISecret {
  const encryptionKey =
    reference.kmsKeyArn === undefined
      ? undefined
      : kms.Key.fromKeyArn(scope, `${id}Key`, reference.kmsKeyArn);
  if (reference.arn !== undefined) {
    return secretsmanager.Secret.fromSecretAttributes(scope, id, {
      secretCompleteArn: reference.arn,
      encryptionKey,
    });
  }
  const partialArn = Arn.format(
    {
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: reference.name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    Stack.of(scope),
  );
  return secretsmanager.Secret.fromSecretAttributes(scope, id, {
    secretPartialArn: partialArn,
    encryptionKey,
  });
}
