import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import { freePort, isRoot, startWithRetries } from './server-process';
import { createTestCertificates, type TestCertificates } from './tls';

const run = promisify(execFile);

/** A running throwaway MariaDB server. */
export interface TestMariaDb {
  /** The directory holding the data, socket, logs and certificates; removed by `stop()`. */
  readonly dir: string;
  /** Process id of `mariadbd`. */
  readonly pid: number;
  /** `127.0.0.1`: the server certificate is valid for it and for `localhost`. */
  readonly host: string;
  /** An address of the same server the certificate does NOT name, for hostname-mismatch tests. */
  readonly unnamedHost: string;
  readonly port: number;
  /** `root`, with a random password; `root@localhost` and `root@127.0.0.1` exist. */
  readonly rootUser: { readonly username: string; readonly password: string };
  /** PEM of the test CA that signed the server certificate. */
  readonly ca: string;
  /** `SELECT VERSION()`, e.g. `10.11.19-MariaDB-0+deb12u1`. */
  readonly version: string;
  /** Milliseconds spent in `mariadb-install-db` and in starting the server until it accepted a login. */
  readonly timings: { readonly installMs: number; readonly startMs: number };
  /** Runs one statement as root (over the Unix socket) and returns its rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  /** Everything the server wrote to its error log so far. */
  errorLog(): string;
  /** Every statement the server received so far (empty unless started with `generalLog: true`). Never printed. */
  generalLog(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes every file it had. */
  stop(): Promise<void>;
}

/** Options of {@link startMariaDb}. */
export interface MariaDbOptions {
  /**
   * Serve TLS (ssl-ca / ssl-cert / ssl-key from a throwaway CA). `false` starts a server that
   * offers no TLS at all, to prove clients do not fall back to plaintext.
   * @default true
   */
  readonly tls?: boolean;
  /**
   * Names the server certificate is valid for.
   * @default ['localhost', '127.0.0.1']
   */
  readonly certificateHosts?: readonly string[];
  /**
   * Write every statement to a general query log, readable with `generalLog()`.
   * @default false
   */
  readonly generalLog?: boolean;
  /**
   * Directories searched for `mariadbd` and `mariadb-install-db`.
   * @default - the PATH, then /usr/sbin, /usr/bin, /usr/local/sbin, /usr/local/bin, /usr/local/mysql/bin,
   *   /opt/homebrew/bin, /opt/homebrew/sbin
   */
  readonly searchPath?: readonly string[];
  /**
   * Extra `mariadbd` options, e.g. `['--general-log=ON']`.
   * @default - none
   */
  readonly serverArgs?: readonly string[];
}

/** Where MariaDB installs its binaries (Debian, /usr/local, Homebrew on Apple silicon); `scripts/setup-test-deps.sh` looks in the same places. */
const SEARCH_PATH = [
  '/usr/sbin',
  '/usr/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/local/mysql/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/sbin',
];

function findBinary(names: readonly string[], dirs: readonly string[]): string | undefined {
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const WATCHDOG = 'read -r _; kill -9 "$1" 2>/dev/null; rm -rf "$2"';

/** A small, unsafe-on-crash InnoDB: the data is thrown away anyway. The same for install and server. */
const INNODB_FAST = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=16M',
  '--innodb-flush-log-at-trx-commit=0',
  '--skip-innodb-doublewrite',
  '--performance-schema=OFF',
];

/**
 * Starts a real MariaDB server on a free port of 127.0.0.1 and 127.0.0.2, with TLS on (a throwaway
 * test CA; the certificate names `localhost` and `127.0.0.1`, not `127.0.0.2`) and a random root
 * password. Logins match accounts by address, never by name (`--skip-name-resolve`). Everything
 * lives in a fresh directory under `os.tmpdir()`, removed by `stop()`.
 *
 * It needs the MariaDB server binaries (`mariadbd`, `mariadb-install-db`; Debian:
 * `apt-get install -y --no-install-recommends mariadb-server mariadb-client`) and throws if they are
 * missing: the tests that use it are never skipped. As root, the server runs as the OS user `mysql`
 * (the Debian package creates it) and its directory is given to that user.
 *
 * @example
 * ```ts
 * let server: TestMariaDb;
 * beforeAll(async () => { server = await startMariaDb(); });
 * afterAll(() => server?.stop());
 * ```
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<TestMariaDb> {
  const dirs = options.searchPath ?? [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    ...SEARCH_PATH,
  ];
  const server = findBinary(['mariadbd', 'mysqld'], dirs);
  const install = findBinary(['mariadb-install-db', 'mysql_install_db'], dirs);
  if (server === undefined || install === undefined) {
    throw new Error(
      `MariaDB server binaries not found (${server === undefined ? 'mariadbd' : 'mariadb-install-db'} is not in ` +
        `${dirs.join(':')}). Install them: apt-get install -y --no-install-recommends mariadb-server ` +
        'mariadb-client. The MySQL/MariaDB tests need a real server and are never skipped.',
    );
  }
  // Only a lost race for the port is worth another attempt.
  return startWithRetries(
    () => startOnce(server, install, options),
    (error) => String(error).includes('Address already in use'),
  );
}

async function startOnce(
  serverBin: string,
  installBin: string,
  options: MariaDbOptions,
): Promise<TestMariaDb> {
  const root = isRoot();
  const base = mkdtempSync(join(tmpdir(), 'handover-mariadb-'));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const socket = join(base, 'mariadb.sock');
  const errorLogPath = join(base, 'error.log');
  const generalLogPath = join(base, 'general.log');
  const tls = options.tls ?? true;
  const runAs = root ? ['--user=mysql'] : [];
  let certs: TestCertificates | undefined;
  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let admin: Connection | undefined;
  const readFile = (path: string) => () => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const readErrorLog = readFile(errorLogPath);
  // Safety net: if this process exits without stop() (a failed hook, a worker that ends early),
  // the server and its files must not outlive it. Removed again by stop().
  const children = new Set<ChildProcess>();
  const onExit = () => {
    for (const started of children) started.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  try {
    certs = createTestCertificates({
      parent: base,
      ...(options.certificateHosts && { hosts: options.certificateHosts }),
    });
    // Its own temp directory: at start-up MariaDB deletes `#sql*` files in its tmpdir, which would
    // break another server bootstrapping next to it in a shared /tmp.
    const tmp = join(base, 'tmp');
    mkdirSync(tmp);
    const keyPath = join(base, 'server-key.pem');
    copyFileSync(certs.keyPath, keyPath);
    chmodSync(keyPath, 0o600);
    if (root) {
      // The server runs as `mysql`: it must own its directory (or it dies silently) and read its key.
      await run('chown', ['-R', 'mysql:', base]);
    }

    const t0 = performance.now();
    try {
      const installing = run(installBin, [
        '--no-defaults',
        `--datadir=${dataDir}`,
        ...runAs,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
        `--tmpdir=${tmp}`,
        ...INNODB_FAST,
      ]);
      children.add(installing.child);
      await installing;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`mariadb-install-db failed: ${stderr.slice(-2000)}`, { cause: error });
    }
    const installMs = performance.now() - t0;

    const port = await freePort();
    const t1 = performance.now();
    const spawned = spawn(
      serverBin,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1,127.0.0.2',
        ...runAs,
        '--skip-log-bin',
        '--skip-name-resolve',
        `--log-error=${errorLogPath}`,
        `--pid-file=${join(base, 'mariadb.pid')}`,
        `--tmpdir=${tmp}`,
        ...(tls
          ? [`--ssl-ca=${certs.caCertPath}`, `--ssl-cert=${certs.certPath}`, `--ssl-key=${keyPath}`]
          : []),
        ...(options.generalLog ? ['--general-log=ON', `--general-log-file=${generalLogPath}`] : []),
        ...INNODB_FAST,
        ...(options.serverArgs ?? []),
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    children.add(spawned);
    // A watchdog for when this process dies without stop() or an exit event (a test worker killed
    // by a signal): `read` returns when the pipe from this process closes, then it kills this
    // server (by its pid) and removes its files. stop() kills the watchdog first.
    watchdog = spawn('sh', ['-c', WATCHDOG, 'handover-mariadb-watchdog', String(spawned.pid), base], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    watchdog.unref();
    (watchdog.stdin as Socket | null)?.unref();
    const exited = new Promise<number | null>((resolve) => spawned.once('exit', (code) => resolve(code)));
    let alive = true;
    void exited.then(() => {
      alive = false;
    });

    // Ready when root can log in over the socket (no password yet).
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!alive) {
        throw new Error(`mariadbd exited during start-up:\n${readErrorLog().slice(-3000)}`);
      }
      try {
        admin = await createConnection({ socketPath: socket, user: 'root', multipleStatements: false });
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `mariadbd did not accept connections within 30 s:\n${readErrorLog().slice(-3000)}`,
            {
              cause: error,
            },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const startMs = performance.now() - t1;

    const rootUser = { username: 'root', password: randomBytes(18).toString('base64url') };
    const connection = admin;
    const [hosts] = await connection.query<RowDataPacket[]>(
      "SELECT Host AS host FROM mysql.user WHERE User = 'root' AND Host IN ('localhost', '127.0.0.1', '::1')",
    );
    for (const row of hosts) {
      await connection.query('ALTER USER ?@? IDENTIFIED BY ?', ['root', String(row.host), rootUser.password]);
    }
    // install-db also makes a password-less root@<hostname>: never reachable with skip-name-resolve, but drop it.
    await connection.query(
      "DELETE FROM mysql.global_priv WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1', '::1')",
    );
    await connection.query('FLUSH PRIVILEGES');
    await connection.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [
      'root',
      '127.0.0.1',
      rootUser.password,
    ]);
    await connection.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
    const [versionRows] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS version');
    const version = String(versionRows[0]?.version ?? '');

    const certificates = certs;
    const guard = watchdog;
    return {
      dir: base,
      pid: spawned.pid ?? 0,
      host: '127.0.0.1',
      unnamedHost: '127.0.0.2',
      port,
      rootUser,
      ca: certificates.caCert,
      version,
      timings: { installMs, startMs },
      query: async <R extends Record<string, unknown>>(sql: string, params?: unknown[]) => {
        const [rows] = await connection.query(sql, params);
        return (Array.isArray(rows) ? rows : []) as R[];
      },
      errorLog: readErrorLog,
      generalLog: readFile(generalLogPath),
      stop: async () => {
        guard.kill('SIGKILL');
        await connection.end().catch(() => undefined);
        await stopProcess(spawned, exited, () => alive);
        certificates.cleanup();
        rmSync(base, { recursive: true, force: true });
        process.off('exit', onExit);
      },
    };
  } catch (error) {
    watchdog?.kill('SIGKILL');
    await admin?.end().catch(() => undefined);
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child?.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    certs?.cleanup();
    rmSync(base, { recursive: true, force: true });
    process.off('exit', onExit);
    throw error;
  }
}

async function stopProcess(
  child: ChildProcess,
  exited: Promise<number | null>,
  alive: () => boolean,
): Promise<void> {
  if (!alive()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
