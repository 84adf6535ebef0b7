import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMysqlStrategy,
  type MysqlSecret,
  nativePasswordHash,
} from '../../../lambdas/credentials/mysql';
import type { MysqlConnect } from '../../../lambdas/credentials/mysql/connection';
import { noPrevious } from '../../../lambdas/rotation/strategy';
import { CredentialTestError, TargetError } from '../../../lambdas/shared/errors';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import { canLogin, context, failingConnect, leakWatch, secretJson } from './harness';

let server: TestMariaDb;
const watch = leakWatch();
let counter = 0;

beforeAll(async () => {
  server = await startMariaDb({ generalLog: true });
});

afterAll(async () => {
  try {
    watch.assertNoLeak();
  } finally {
    await server?.stop();
  }
});

/** A user with no privileges at all (single-user needs none), required to use TLS. */
async function freshUser() {
  counter += 1;
  const username = `su_${counter}`;
  const password = watch.password(`Initial-passw0rd-${counter}-${'s'.repeat(12)}`);
  await server.query(`CREATE USER '${username}'@'%' IDENTIFIED BY '${password}' REQUIRE SSL`);
  return { username, password };
}

function setup(user: { username: string; password: string }, connect?: MysqlConnect) {
  const kinds: string[] = [];
  const strategy = createMysqlStrategy({
    mode: 'single-user',
    tls: { mode: 'verify-full', ca: server.ca },
    onRoundTrip: (kind) => kinds.push(kind),
    ...(connect && { connect }),
  });
  const current = strategy.parse(secretJson(server, user.username, user.password));
  const { ctx, lines } = context(watch);
  return { strategy, current, ctx, lines, kinds };
}

async function pendingOf(s: ReturnType<typeof setup>): Promise<MysqlSecret> {
  const pending = await s.strategy.create(s.current, s.ctx);
  watch.password(pending.password);
  return pending;
}

describe('Single-user rotation against MariaDB', () => {
  it('changes the password with SET PASSWORD, so the new one logs in and the old one does not', async () => {
    const user = await freshUser();
    const s = setup(user);
    const pending = await pendingOf(s);

    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    await s.strategy.test(pending, s.ctx);

    expect(await canLogin(server, user.username, pending.password)).toBe(true);
    expect(await canLogin(server, user.username, user.password)).toBe(false);
    // probe pending (rejected), current: connect + hello + SET PASSWORD, test: connect + hello
    expect(s.kinds).toEqual(['connect', 'connect', 'query', 'query', 'connect', 'query']);
    expect(s.lines.join('\n')).toMatch(/pending password set .*"via":"current".*"server":"mariadb"/);
  });

  it('sends only the mysql_native_password hash: the plaintext never reaches the server log', async () => {
    const user = await freshUser();
    const s = setup(user);
    const pending = await pendingOf(s);
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);

    const log = server.generalLog();
    expect(log).toContain(`SET PASSWORD = '${nativePasswordHash(pending.password)}'`);
    expect(log).not.toContain(pending.password);
  });

  it('is idempotent: a second set finds the pending password working and changes nothing', async () => {
    const user = await freshUser();
    const s = setup(user);
    const pending = await pendingOf(s);
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    const before = await server.query(
      `SELECT authentication_string AS a FROM mysql.user WHERE User = '${user.username}'`,
    );
    s.kinds.length = 0;

    await s.strategy.set(pending, s.current, noPrevious, s.ctx);

    expect(s.kinds).toEqual(['connect', 'query']);
    expect(
      await server.query(`SELECT authentication_string AS a FROM mysql.user WHERE User = '${user.username}'`),
    ).toEqual(before);
    expect(s.lines.join('\n')).toMatch(/already set/);
  });

  it.each(['before', 'after'] as const)(
    'converges when SET PASSWORD fails %s it reaches the server, and the step is run again',
    async (when) => {
      const user = await freshUser();
      const failing = failingConnect(1, when);
      const s = setup(user, failing.connect);
      const pending = await pendingOf(s);

      watch.error(await s.strategy.set(pending, s.current, noPrevious, s.ctx).catch((e: unknown) => e));
      expect(
        await canLogin(server, user.username, when === 'before' ? user.password : pending.password),
      ).toBe(true);

      const retry = setup(user);
      await retry.strategy.set(pending, s.current, noPrevious, retry.ctx);
      await retry.strategy.test(pending, retry.ctx);
      expect(await canLogin(server, user.username, pending.password)).toBe(true);
      expect(await canLogin(server, user.username, user.password)).toBe(false);
    },
  );

  it('falls back to the previous password when the current one is rejected', async () => {
    const user = await freshUser();
    const s = setup(user);
    const stale = { ...s.current, password: watch.password('Stale-passw0rd-not-on-the-server') };
    const pending = await pendingOf(s);

    await s.strategy.set(pending, stale, async () => s.current, s.ctx);

    expect(await canLogin(server, user.username, pending.password)).toBe(true);
    expect(s.lines.join('\n')).toMatch(/current password rejected[\s\S]*"via":"previous"/);
  });

  it('fails with a CredentialTestError when no password logs in, and changes nothing', async () => {
    const user = await freshUser();
    const s = setup(user);
    const stale = { ...s.current, password: watch.password('Stale-passw0rd-not-on-the-server') };
    const pending = await pendingOf(s);

    const error = watch.error(
      await s.strategy.set(pending, stale, noPrevious, s.ctx).catch((e: unknown) => e),
    );

    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(
      new RegExp(`neither the pending, the current nor the previous password of user "${user.username}"`),
    );
    expect(await canLogin(server, user.username, user.password)).toBe(true);
  });

  it('fails testSecret for a password that does not log in', async () => {
    const user = await freshUser();
    const s = setup(user);
    const pending = await pendingOf(s);
    const error = watch.error(await s.strategy.test(pending, s.ctx).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/ER_ACCESS_DENIED_ERROR, errno 1045, SQLSTATE 28000/);
  });
});

describe('Dual-password mode against MariaDB', () => {
  it('fails with an error naming the mode and the server, and changes nothing', async () => {
    const user = await freshUser();
    const strategy = createMysqlStrategy({
      mode: 'dual-password',
      tls: { mode: 'verify-full', ca: server.ca },
    });
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const { ctx } = context(watch);
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);

    const error = watch.error(await strategy.set(pending, current, noPrevious, ctx).catch((e: unknown) => e));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(
      /^dual-password mode needs MySQL 8\.0\.14 or later \(ALTER USER \.\.\. RETAIN CURRENT PASSWORD\); the server is MariaDB 10\.\d+\.\d+ .*Use alternating-users instead/,
    );
    expect(await canLogin(server, user.username, user.password)).toBe(true);
    expect(await canLogin(server, user.username, pending.password)).toBe(false);
  });
});
