/**
 * Composition root of the IAM access key rotation Lambda: configuration from the environment, the
 * IAM client at module scope (reused across invocations), and the factory of the STS clients that
 * test each new key with its own credentials (region and endpoint resolved once, here).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { createRotationLambda } from '../../rotation/lambda';
import { iamAccessKeyOptionsFromEnv } from './options';
import { createIamAccessKeyStrategy } from './strategy';

const iam = new IAMClient({});

export const handler = createRotationLambda(
  createIamAccessKeyStrategy({
    ...iamAccessKeyOptionsFromEnv(),
    iam,
    sts: (credentials) => new STSClient({ credentials }),
  }),
);
