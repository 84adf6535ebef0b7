/**
 * Composition root of the shared-key rotation Lambda: configuration from the environment,
 * everything else in the engine. The strategy's label moves use the engine's Secrets Manager port
 * (its context); its CloudWatch client is created on first use, by `inUse` only.
 */
import { createRotationLambda } from '../../rotation/lambda';
import { sharedKeyOptionsFromEnv } from './options';
import { createSharedKeyStrategy } from './strategy';

export const handler = createRotationLambda(createSharedKeyStrategy(sharedKeyOptionsFromEnv()));
