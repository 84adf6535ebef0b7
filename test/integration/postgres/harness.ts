import pg from 'pg';
import type { PostgresConnect } from '../../../lambdas/credentials/postgres/connection';
import { connectWithPg } from '../../../lambdas/credentials/postgres/connection';
import type { TestPostgres } from '../../../local/postgres';

export { context, leakWatch, MASTER_ARN, SECRET_ID } from '../../support/strategy-context';

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
export async function login(
  server: TestPostgres,
  username: string,
  password: string,
  applicationName?: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: username,
    password,
    database: 'postgres',
    ssl: false,
    ...(applicationName === undefined ? {} : { application_name: applicationName }),
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
