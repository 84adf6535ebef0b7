import { setTimeout as sleep } from 'node:timers/promises';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import type { Stage } from './stage';

/** Logins one strategy's clients made, and when each failed one happened. */
export interface LoginStats {
  logins: number;
  readonly failed: number[];
}

/** The database clients of every strategy, logging in until stopped. */
export interface DatabaseClients {
  readonly stats: ReadonlyMap<PostgresMode, LoginStats>;
  /** Stops the clients and waits for their last login. */
  stop(): Promise<void>;
}

/** Whether `user` / `password` log in to the sandbox's database now (one TLS connection, `SELECT 1`). */
export function databaseLogin(stage: Stage): (user: string, password: string) => Promise<boolean> {
  const { database } = stage;
  return async (user, password) => {
    const client = new pg.Client({
      host: 'localhost',
      port: database.port,
      database: 'postgres',
      user,
      password,
      ssl: { ca: database.ca, rejectUnauthorized: true },
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/**
 * A pool of database clients per strategy: each re-reads AWSCURRENT when its cache has expired,
 * then logs in with it over TLS, every 10 ms, until stopped. Failed logins are counted with the
 * moment they happened.
 */
export function startDatabaseClients(
  stage: Stage,
  secrets: ReadonlyMap<PostgresMode, string>,
  options: { readonly clientsPerStrategy: number; readonly cacheMs: number },
): DatabaseClients {
  const { sm } = stage;
  const logsIn = databaseLogin(stage);
  const stats = new Map([...secrets.keys()].map((mode) => [mode, { logins: 0, failed: [] as number[] }]));
  let running = true;
  const clients = [...secrets].flatMap(([mode, arn]) =>
    Array.from({ length: options.clientsPerStrategy }, async () => {
      const stat = stats.get(mode) ?? { logins: 0, failed: [] };
      let cached: { value: { username: string; password: string }; at: number } | undefined;
      while (running) {
        if (cached === undefined || performance.now() - cached.at > options.cacheMs) {
          const got = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
          cached = { value: JSON.parse(got.SecretString ?? '{}'), at: performance.now() };
        }
        stat.logins++;
        if (!(await logsIn(cached.value.username, cached.value.password)))
          stat.failed.push(performance.now());
        await sleep(10);
      }
    }),
  );
  const stop = async () => {
    running = false;
    await Promise.all(clients);
  };
  stage.onClose(stop);
  return { stats, stop };
}
