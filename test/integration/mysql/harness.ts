import { type Connection, createConnection } from 'mysql2/promise';
import type { MysqlConnect } from '../../../lambdas/credentials/mysql/connection';
import { connectWithMysql2 } from '../../../lambdas/credentials/mysql/connection';
import type { TestMariaDb } from '../../../local/mariadb';

export { context, leakWatch, MASTER_ARN, SECRET_ID } from '../../support/strategy-context';

export const secretJson = (
  server: TestMariaDb,
  username: string,
  password: string,
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    engine: 'mariadb',
    host: 'localhost',
    port: server.port,
    username,
    password,
    ...extra,
  });

/** Logs in over TLS verify-full as a consumer would (`localhost`, the test CA). */
export async function login(
  server: TestMariaDb,
  username: string,
  password: string,
  tls = true,
  database?: string,
): Promise<Connection> {
  const connection = await createConnection({
    host: 'localhost',
    port: server.port,
    user: username,
    password,
    ...(database === undefined ? {} : { database }),
    ...(tls && { ssl: { ca: server.ca, rejectUnauthorized: true, verifyIdentity: true } }),
  });
  connection.on('error', () => undefined);
  return connection;
}

/** Whether `username` / `password` can log in (over TLS unless `tls` is false). */
export async function canLogin(
  server: TestMariaDb,
  username: string,
  password: string,
  tls = true,
): Promise<boolean> {
  try {
    const connection = await login(server, username, password, tls);
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

/** Runs `sql` as `username` and returns the rows. */
export async function queryAs(
  server: TestMariaDb,
  username: string,
  password: string,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const connection = await login(server, username, password);
  try {
    const [rows] = await connection.query(sql);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await connection.end();
  }
}

/** `SHOW GRANTS FOR 'user'@'host'` lines with the grantee and password hash masked, for comparing two users. */
export async function grantsOf(server: TestMariaDb, user: string, host = '%'): Promise<string[]> {
  const rows = await server.query(`SHOW GRANTS FOR '${user}'@'${host}'`);
  return rows
    .map((row) => String(Object.values(row)[0]))
    .map((line) =>
      line
        .replaceAll(`\`${user}\`@\`${host}\``, '<grantee>')
        .replace(/IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/, 'IDENTIFIED BY PASSWORD <hash>'),
    )
    .sort();
}

/**
 * A real mysql2 connect that also records, per connection, whether the session is encrypted
 * (`Ssl_cipher`), and every attempt.
 */
export function observedConnect() {
  const sessions: { host: string; user: string; ssl: boolean }[] = [];
  const attempts: { host: string; ssl: unknown }[] = [];
  const connect: MysqlConnect = async (config) => {
    attempts.push({ host: config.host, ssl: config.ssl });
    const client = await connectWithMysql2(config);
    const [row] = await client.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'", 5000);
    sessions.push({ host: config.host, user: config.user, ssl: String(row?.Value ?? '') !== '' });
    return client;
  };
  return { connect, sessions, attempts };
}

/**
 * Wraps a connect so that the n-th statement of the whole run fails: `before` it reaches the
 * server, or `after` the server ran it (a lost response). Hellos are not counted.
 */
export function failingConnect(failAt: number, when: 'before' | 'after') {
  let count = 0;
  const statements: string[] = [];
  const connect: MysqlConnect = async (config) => {
    const client = await connectWithMysql2(config);
    return {
      async query(sql, timeoutMs) {
        if (sql.startsWith('SELECT VERSION()')) return client.query(sql, timeoutMs);
        count += 1;
        statements.push(sql);
        if (count === failAt && when === 'before')
          throw new Error(`injected failure before statement ${count}`);
        const rows = await client.query(sql, timeoutMs);
        if (count === failAt && when === 'after')
          throw new Error(`injected failure after statement ${count}`);
        return rows;
      },
      end: () => client.end(),
    };
  };
  return { connect, statements, count: () => count };
}
