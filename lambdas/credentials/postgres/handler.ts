/**
 * Composition root of the PostgreSQL rotation Lambda: configuration from the environment, SDK
 * clients at module scope (reused across invocations), everything else in the engine.
 */
import { createRotationLambda } from '../../rotation/lambda';
import { postgresOptionsFromEnv } from './env';
import { createPostgresStrategy } from './strategy';

export const handler = createRotationLambda(createPostgresStrategy(postgresOptionsFromEnv()));
