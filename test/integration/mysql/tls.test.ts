import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createMysqlStrategy,
  type MysqlTlsOptions,
} from '../../../lambdas/credentials/mysql';
import { CredentialTestError } from '../../../lambdas/shared/errors';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import { createTestCertificates, type TestCertificates } from '../../../local/tls';
import { context, leakWatch, observedConnect, secretJson } from './harness';

let server: TestMariaDb;
let plaintextOnly: TestMariaDb;
/** Its certificate names 127.0.0.1 only, so `localhost` is a name it does not carry. */
let addressOnly: TestMariaDb;
let otherCa: TestCertificates;
const watch = leakWatch();
const user = { username: 'tls_user', password: '' };

beforeAll(async () => {
  const started = await Promise.allSettled([
    startMariaDb(),
    startMariaDb({ tls: false }),
    startMariaDb({ certificateHosts: ['127.0.0.1'] }),
  ]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    // Stop the ones that did start before failing the file.
    await Promise.all(
      started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    );
    throw failed.reason;
  }
  [server, plaintextOnly, addressOnly] = started.map(
    (result) => (result as PromiseFulfilledResult<TestMariaDb>).value,
  ) as [TestMariaDb, TestMariaDb, TestMariaDb];
  otherCa = createTestCertificates();
  user.password = watch.password('Tls-user-passw0rd-0123456789');
  for (const s of [server, plaintextOnly, addressOnly]) {
    await s.query(`CREATE USER '${user.username}'@'%' IDENTIFIED BY '${user.password}'`);
  }
});

afterAll(async () => {
  try {
    watch.assertNoLeak();
  } finally {
    otherCa?.cleanup();
    await Promise.all([server?.stop(), plaintextOnly?.stop(), addressOnly?.stop()]);
  }
});

/** Runs the strategy's `test` (log in + hello) with the given TLS options against `host`. */
async function probe(tls: MysqlTlsOptions | undefined, host = 'localhost', target = server) {
  const observed = observedConnect();
  const strategy = createMysqlStrategy({
    mode: 'single-user',
    connect: observed.connect,
    ...(tls && { tls }),
  });
  const secret = strategy.parse(secretJson(target, user.username, user.password, { host }));
  const { ctx } = context(watch);
  const error = await strategy.test(secret, ctx).then(
    () => undefined,
    (e: unknown) => watch.error(e),
  );
  return { error, ...observed };
}

describe('TLS against MariaDB', () => {
  it('verify-full with the test CA succeeds via localhost, encrypted', async () => {
    const { error, sessions } = await probe({ mode: 'verify-full', ca: server.ca });
    expect(error).toBeUndefined();
    expect(sessions).toEqual([{ host: 'localhost', user: user.username, ssl: true }]);
  });

  it('verify-full refuses an IP address before connecting (mysql2 would check it as "localhost")', async () => {
    const { error, attempts } = await probe({ mode: 'verify-full', ca: server.ca }, '127.0.0.1');
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error?.message).toMatch(
      /TLS mode verify-full cannot check the IP address 127\.0\.0\.1 with mysql2 .*or use verify-ca/,
    );
    expect(attempts).toEqual([]);
  });

  it('verify-full with the wrong CA fails with a TLS error and does not retry in plaintext', async () => {
    const { error, attempts, sessions } = await probe({ mode: 'verify-full', ca: otherCa.caCert });
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error?.message).toMatch(
      /TLS failed in mode verify-full for user "tls_user" on localhost:\d+; not retrying without TLS: .*certificate/,
    );
    expect(error?.cause).toBeInstanceOf(ConnectionError);
    expect((error?.cause as ConnectionError | undefined)?.tls).toBe(true);
    expect(attempts).toHaveLength(1);
    expect(sessions).toEqual([]);
  });

  it('the default (verify-full against the RDS bundle) rejects a certificate from another CA', async () => {
    const { error, attempts } = await probe(undefined);
    expect(error?.message).toMatch(/TLS failed in mode verify-full/);
    expect(attempts).toHaveLength(1);
  });

  it('verify-full fails on a host name the certificate does not carry, while verify-ca accepts it', async () => {
    const full = await probe({ mode: 'verify-full', ca: addressOnly.ca }, 'localhost', addressOnly);
    expect(full.error?.message).toMatch(/TLS failed in mode verify-full .*(altnames|does not match)/);
    expect(full.sessions).toEqual([]);

    const ca = await probe({ mode: 'verify-ca', ca: addressOnly.ca }, 'localhost', addressOnly);
    expect(ca.error).toBeUndefined();
    expect(ca.sessions).toEqual([{ host: 'localhost', user: user.username, ssl: true }]);
  });

  it('verify-ca accepts an IP address the certificate does not name (it checks the chain only)', async () => {
    const { error, sessions } = await probe({ mode: 'verify-ca', ca: server.ca }, server.unnamedHost);
    expect(error).toBeUndefined();
    expect(sessions).toEqual([{ host: server.unnamedHost, user: user.username, ssl: true }]);
  });

  it('verify-ca still checks the chain', async () => {
    const { error } = await probe({ mode: 'verify-ca', ca: otherCa.caCert });
    expect(error?.message).toMatch(/TLS failed in mode verify-ca/);
  });

  it('require encrypts without verifying', async () => {
    const { error, sessions } = await probe({ mode: 'require' }, server.unnamedHost);
    expect(error).toBeUndefined();
    expect(sessions).toEqual([{ host: server.unnamedHost, user: user.username, ssl: true }]);
  });

  it('disable connects in plaintext only when chosen', async () => {
    const { error, sessions } = await probe({ mode: 'disable' });
    expect(error).toBeUndefined();
    expect(sessions).toEqual([{ host: 'localhost', user: user.username, ssl: false }]);
  });

  it.each(['require', 'verify-ca', 'verify-full'] as const)(
    '%s against a server that offers no TLS fails as a TLS error, never in plaintext',
    async (mode) => {
      const { error, attempts, sessions } = await probe(
        { mode, ca: plaintextOnly.ca },
        'localhost',
        plaintextOnly,
      );
      expect(error?.message).toMatch(
        new RegExp(
          `TLS failed in mode ${mode} .*not retrying without TLS: Server does not support secure connection`,
        ),
      );
      expect(attempts).toHaveLength(1);
      expect(sessions).toEqual([]);
    },
  );
});
