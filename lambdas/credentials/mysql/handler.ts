/**
 * Composition root of the MySQL / MariaDB rotation Lambda: configuration from the environment, SDK
 * clients at module scope (reused across invocations), everything else in the engine.
 */
import { createRotationLambda } from '../../rotation/lambda';
import { mysqlOptionsFromEnv } from './env';
import { createMysqlStrategy } from './strategy';

export const handler = createRotationLambda(createMysqlStrategy(mysqlOptionsFromEnv()));
