import pg from 'pg';
import { expect } from 'vitest';
import type { PostgresConnect } from '../../../lambdas/credentials/postgres/connection';
import { connectWithPg } from '../../../lambdas/credentials/postgres/connection';
import type { StrategyContext } from '../../../lambdas/rotation/strategy';
import type { TestPostgres } from '../../../local/postgres';
import { recordSecretMaterial } from '../../support/log-scan';

export const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf';
export const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';

/**
 * Everything a test file observes that must not contain a password: log lines and error messages.
 * `passwords` grows as tests create them; `assertNoLeak` checks everything seen so far.
 */
export function leakWatch() {
  const passwords = new Set<string>();
  const texts: string[] = [];
  return {
    password(value: string): string {
      passwords.add(value);
      recordSecretMaterial(value);
      return value;
    },
    see(...values: readonly string[]): void {
      texts.push(...values);
    },
    error(error: unknown): Error {
      if (!(error instanceof Error)) throw error;
      texts.push(error.message, String(error.stack));
      for (let cause = error.cause; cause instanceof Error; cause = cause.cause) texts.push(cause.message);
      return error;
    },
    assertNoLeak(): void {
      expect(texts.length).toBeGreaterThan(0);
      for (const text of texts) for (const password of passwords) expect(text).not.toContain(password);
    },
  };
}

/** A StrategyContext with a mutable secret store and a logger that records lines into `watch`. */
export function context(watch: ReturnType<typeof leakWatch>, secrets: Record<string, string> = {}) {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const line = `${level} ${message} ${JSON.stringify(fields ?? {})}`;
      lines.push(line);
      watch.see(line);
    };
  const ctx: StrategyContext = {
    secretId: SECRET_ID,
    rotationId: 'rotation-1',
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: {
      async getSecretString(secretId) {
        const value = secrets[secretId];
        if (value === undefined) throw new Error(`no secret ${secretId}`);
        return value;
      },
    },
  };
  return { ctx, lines, secrets };
}

export const secretJson = (
  server: TestPostgres,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    engine: 'postgres',
    host: server.host,
    port: server.port,
    username,
    password,
    dbname: 'postgres',
    ...extra,
  });

/** Opens a plaintext session (pg_hba accepts `host`) as `username`, or returns the SQLSTATE. */
export async function login(server: TestPostgres, username: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: username,
    password,
    database: 'postgres',
    ssl: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Whether `username` / `password` can log in. */
export async function canLogin(server: TestPostgres, username: string, password: string): Promise<boolean> {
  try {
    const client = await login(server, username, password);
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Runs `sql` as `username` and returns the rows. */
export async function queryAs(
  server: TestPostgres,
  username: string,
  password: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const client = await login(server, username, password);
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A real `pg` connect that also records, per connection, whether the session is encrypted. */
export function observedConnect() {
  const sessions: { host: string; user: string; ssl: boolean }[] = [];
  const attempts: { host: string; ssl: unknown }[] = [];
  const connect: PostgresConnect = async (config) => {
    attempts.push({ host: config.host, ssl: config.ssl });
    const client = await connectWithPg(config);
    const { rows } = await client.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    sessions.push({ host: config.host, user: config.user, ssl: rows[0]?.ssl === true });
    return client;
  };
  return { connect, sessions, attempts };
}
