import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import { quoteIdent, quoteLiteral } from '../../lambdas/credentials/postgres/sql';
import type { LocalFunction } from '../workflow/local-step-functions';
import { registerRotationFunction } from './rotation-functions';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** The two PostgreSQL rotation strategies the sandbox shows side by side. */
export const MODES: readonly PostgresMode[] = ['single-user', 'alternating-users'];

/** The ARN each PostgreSQL rotation function is registered under. */
export const postgresFunctionArn = (mode: PostgresMode) =>
  `arn:aws:lambda:us-east-1:123456789012:function:handover-postgres-${mode}`;

/** The PostgreSQL secrets and their rotation functions. */
export interface PostgresSecrets {
  /** The secret's ARN, per strategy. */
  readonly arns: ReadonlyMap<PostgresMode, string>;
  /** The real rotation function, per strategy (it also serves the rollout's strategy actions). */
  readonly functions: ReadonlyMap<PostgresMode, LocalFunction>;
  /** The master secret (the server's superuser), which alternating-users secrets name. */
  readonly masterArn: string;
}

/**
 * Creates a master secret (the server's superuser) and one login role and secret per strategy
 * (`app_single`, `app_alt`, the latter naming the master), each with its real rotation function
 * (TLS `verify-full` against the database's test CA) registered with the emulator.
 */
export async function createPostgresSecrets(stage: Stage, timeline: Timeline): Promise<PostgresSecrets> {
  const { database, sm } = stage;
  // Imported only now, so the rotation code reads the sandbox's environment.
  const { createRotationLambda } = await import('../../lambdas/rotation/lambda');
  const { STRATEGIES } = await import('../../lambdas/credentials/registry');
  const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
  const master = await sm.send(
    new CreateSecretCommand({
      Name: 'sandbox/postgres/master',
      SecretString: JSON.stringify({ ...connection, ...database.superuser }),
    }),
  );
  const arns = new Map<PostgresMode, string>();
  const functions = new Map<PostgresMode, LocalFunction>();
  for (const mode of MODES) {
    const username = mode === 'single-user' ? 'app_single' : 'app_alt';
    const password = `Initial-${mode}-${Math.random().toString(36).slice(2)}`;
    await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    const created = await sm.send(
      new CreateSecretCommand({
        Name: `sandbox/postgres/${mode}`,
        SecretString: JSON.stringify({
          ...connection,
          username,
          password,
          ...(mode === 'alternating-users' ? { masterarn: master.ARN } : {}),
        }),
      }),
    );
    arns.set(mode, created.ARN ?? '');
    const handler = createRotationLambda(
      STRATEGIES.postgres({
        HANDOVER_POSTGRES_MODE: mode,
        HANDOVER_TLS_MODE: 'verify-full',
        HANDOVER_TLS_CA_FILE: stage.caFile,
      }),
    );
    functions.set(mode, handler as LocalFunction);
    registerRotationFunction(stage, timeline, mode, postgresFunctionArn(mode), handler);
  }
  return { arns, functions, masterArn: master.ARN ?? '' };
}
