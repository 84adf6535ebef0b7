/**
 * Composition root of the API key rotation Lambda: configuration from the environment, the SDK
 * client and the HTTP client built once at module scope (reused across invocations), everything
 * else in the engine.
 */
import { createRotationLambda } from '../../rotation/lambda';
import { apiKeyOptionsFromEnv } from './options';
import { createApiKeyStrategy } from './strategy';

export const handler = createRotationLambda(createApiKeyStrategy(apiKeyOptionsFromEnv()));
