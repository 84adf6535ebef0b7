import type {
  PostgresClient,
  PostgresConnect,
  PostgresConnectionConfig,
} from '../../../../lambdas/credentials/postgres/connection';
import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import { readOnlySecrets } from '../../../support/secrets-port';

/** A pg-like error with a SQLSTATE. */
export function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

type QueryHandler = (
  user: string,
  text: string,
  values: unknown[] | undefined,
) => Record<string, unknown>[] | undefined;

/**
 * A fake database: users with passwords; records every connect and query in order. A password
 * set by ALTER/CREATE ROLE is recorded as the SCRAM verifier literal it received.
 */
export function fakeDatabase(users: Record<string, string>, onQuery?: QueryHandler) {
  const events: string[] = [];
  const statements: string[] = [];
  const configs: PostgresConnectionConfig[] = [];
  let connectFailure: Error | undefined;
  const connect: PostgresConnect = async (config) => {
    configs.push(config);
    events.push(`connect:${config.user}`);
    if (connectFailure) throw connectFailure;
    if (users[config.user] !== config.password) {
      throw pgError('28P01', `password authentication failed for user "${config.user}"`);
    }
    const client: PostgresClient = {
      async query(text, values) {
        events.push(`query:${config.user}:${text.split(/\s+/).slice(0, 2).join(' ')}`);
        statements.push(text);
        const custom = onQuery?.(config.user, text, values);
        if (custom) return { rows: custom };
        if (text.includes('session_user')) {
          return {
            rows: [{ ok: 1, session_user: config.user, current_user: config.user.replace(/_clone$/, '') }],
          };
        }
        return { rows: [] };
      },
      async end() {
        events.push(`end:${config.user}`);
      },
    };
    return client;
  };
  return {
    connect,
    events,
    statements,
    configs,
    failConnectWith(error: Error | undefined) {
      connectFailure = error;
    },
  };
}

/** A StrategyContext whose logger records every line and whose secret reader serves `secrets`. */
export function fakeContext(secrets: Record<string, string> = {}) {
  const lines: string[] = [];
  const reads: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const ctx: StrategyContext = {
    secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
    rotationId: '11111111-2222-3333-4444-555555555555',
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: readOnlySecrets((secretId) => {
      reads.push(secretId);
      return secrets[secretId];
    }),
  };
  return { ctx, lines, reads };
}
