/**
 * Composition root of the shared-key rotation Lambda: configuration from the environment, SDK
 * clients at module scope (reused across invocations; the same Secrets Manager client serves the
 * engine and the strategy's stage moves), everything else in the engine.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRotationLambda } from '../../rotation/lambda';
import { sharedKeyOptionsFromEnv } from './options';
import { createSharedKeyStrategy } from './strategy';

const secretsManager = new SecretsManagerClient({});
const cloudWatch = new CloudWatchClient({});

export const handler = createRotationLambda(
  createSharedKeyStrategy({ ...sharedKeyOptionsFromEnv(), secretsManager, cloudWatch }),
  { client: secretsManager },
);
