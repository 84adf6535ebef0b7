/**
 * Composition root of the PostgreSQL rotation Lambda: configuration from the environment, SDK
 * clients at module scope (reused across invocations), everything else in the engine.
 *
 * The clients take region, credentials and endpoints from the environment, including the standard
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_RDS`. RDS is called only for secrets
 * that need it (no `host`, an RDS-managed master secret, a read replica).
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRotationLambda } from '../../rotation/lambda';
import { createRdsDiscovery, RDS_CLIENT_CONFIG } from '../database/rds';
import { postgresOptionsFromEnv } from './options';
import { createPostgresStrategy } from './strategy';

const secretsManager = new SecretsManagerClient({});
const rds = createRdsDiscovery({ rds: new RDSClient(RDS_CLIENT_CONFIG), secretsManager });

export const handler = createRotationLambda(createPostgresStrategy({ ...postgresOptionsFromEnv(), rds }), {
  client: secretsManager,
});
