import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStrategy } from '../../../lambdas/credentials/postgres';
import { noPrevious } from '../../../lambdas/rotation/strategy';
import { CredentialTestError } from '../../../lambdas/shared/errors';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { canLogin, context, leakWatch, login, SECRET_ID, secretJson } from './harness';

let server: TestPostgres;
const watch = leakWatch();
let counter = 0;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  watch.assertNoLeak();
  await server?.stop();
});

/** A fresh login role with a known password; each test gets its own. */
async function freshUser(): Promise<{ username: string; password: string }> {
  counter += 1;
  const username = `single_${counter}`;
  const password = watch.password(`Initial-passw0rd-${counter}-${'x'.repeat(16)}`);
  await server.query(`CREATE ROLE ${username} LOGIN PASSWORD '${password}'`);
  return { username, password };
}

function strategyFor(kinds: string[] = []) {
  return createPostgresStrategy({
    mode: 'single-user',
    tls: { mode: 'verify-full', ca: server.ca },
    onRoundTrip: (kind) => kinds.push(kind),
  });
}

describe('Single-user rotation against PostgreSQL', () => {
  it('changes the password: the old one fails, the new one works', async () => {
    const user = await freshUser();
    const kinds: string[] = [];
    const strategy = strategyFor(kinds);
    const { ctx } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);

    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);

    expect(await canLogin(server, user.username, user.password)).toBe(false);
    expect(await canLogin(server, user.username, pending.password)).toBe(true);
    // pending probe (rejected), current login, ALTER ROLE; then test: login, SELECT 1.
    expect(kinds).toEqual(['connect', 'connect', 'query', 'connect', 'query']);
  });

  it('stores a client-side SCRAM verifier: the plaintext never reaches the server', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    await strategy.set(pending, current, noPrevious, ctx);

    const [row] = await server.query<{ rolpassword: string }>(
      'SELECT rolpassword FROM pg_authid WHERE rolname = $1',
      [user.username],
    );
    expect(row?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    const log = server.serverLog();
    expect(log).toContain(`ALTER ROLE "${user.username}" WITH PASSWORD 'SCRAM-SHA-256$4096:`);
    expect(log).not.toContain(pending.password);
    expect(await canLogin(server, user.username, pending.password)).toBe(true);
  });

  it('prepares a non-ASCII password the way the server does (SASLprep)', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = { ...current, password: watch.password('Pässwörd\u00A0ﬁsh-\u00ADmixed-Ünïcödé-42') };
    await strategy.set(pending, current, noPrevious, ctx);
    expect(await canLogin(server, user.username, pending.password)).toBe(true);
  });

  it('is idempotent: a second set does nothing but one login', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx, lines } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    await strategy.set(pending, current, noPrevious, ctx);
    const kinds: string[] = [];
    await strategyFor(kinds).set(pending, current, noPrevious, ctx);
    expect(kinds).toEqual(['connect']);
    expect(lines.at(-1)).toMatch(/pending password already set/);
    await strategy.test(pending, ctx);
  });

  it('converges after a crash right after ALTER ROLE (pending already works)', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    // The first attempt "crashed" after the server applied the new password.
    await server.query(`ALTER ROLE ${user.username} PASSWORD '${pending.password}'`);

    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);
    expect(await canLogin(server, user.username, pending.password)).toBe(true);
  });

  it('falls back to the previous password when the current one no longer works', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const previous = strategy.parse(secretJson(server, user.username, user.password));
    const current = strategy.parse(
      secretJson(server, user.username, watch.password('Never-applied-passw0rd-123456')),
    );
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    await strategy.set(pending, current, async () => previous, ctx);
    expect(await canLogin(server, user.username, pending.password)).toBe(true);
  });

  it('fails without leaking when no known password works', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const current = strategy.parse(
      secretJson(server, user.username, watch.password('Wrong-passw0rd-aaaaaaaaaaaaaa')),
    );
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    const error = watch.error(await strategy.set(pending, current, noPrevious, ctx).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(await canLogin(server, user.username, user.password)).toBe(true);
  });

  it('test fails with a CredentialTestError naming the user and SQLSTATE when pending does not work', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const { ctx } = context(watch);
    const pending = strategy.parse(
      secretJson(server, user.username, watch.password('Not-set-passw0rd-bbbbbbbbbbbb')),
    );
    const error = watch.error(await strategy.test(pending, ctx).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toContain(`user "${user.username}" on 127.0.0.1:${server.port}`);
    expect(error.message).toContain('SQLSTATE 28P01');
  });

  it('inUse sees sessions that logged in with the old password, and not after they end', async () => {
    const user = await freshUser();
    const strategy = strategyFor();
    const oldSession = await login(server, user.username, user.password, 'orders-worker');
    const { ctx, secrets } = context(watch);
    const current = strategy.parse(secretJson(server, user.username, user.password));
    const pending = await strategy.create(current, ctx);
    watch.password(pending.password);
    await strategy.set(pending, current, noPrevious, ctx);
    const rotatedAt = new Date();
    secrets[SECRET_ID] = strategy.serialize(pending);

    const report = await strategy.inUse?.(current, rotatedAt, ctx);
    expect(report?.inUse).toBe(true);
    expect(report?.evidence).toMatch(new RegExp(`^1 session of ${user.username} from 127\\.0\\.0\\.1`));
    expect(report?.stragglers).toEqual([
      expect.objectContaining({
        identity: `${user.username} (application orders-worker)`,
        from: '127.0.0.1',
      }),
    ]);
    watch.see(JSON.stringify(report));

    await oldSession.end();
    await waitForNoSessions(user.username);
    const after = await strategy.inUse?.(current, rotatedAt, ctx);
    expect(after).toEqual({ inUse: false, evidence: `no sessions of ${user.username}` });
  });
});

async function waitForNoSessions(username: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const [row] = await server.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1',
      [username],
    );
    if (row?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`sessions of ${username} did not end`);
}
