import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createPostgresStrategy,
  type PostgresTlsOptions,
} from '../../../lambdas/credentials/postgres';
import { CredentialTestError } from '../../../lambdas/shared/errors';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { createTestCertificates, type TestCertificates } from '../../../local/tls';
import { context, leakWatch, observedConnect, secretJson } from './harness';

let server: TestPostgres;
let otherCa: TestCertificates;
const watch = leakWatch();
const user = { username: 'tls_user', password: '' };

beforeAll(async () => {
  server = await startPostgres();
  otherCa = createTestCertificates();
  user.password = watch.password('Tls-user-passw0rd-0123456789');
  await server.query(`CREATE ROLE ${user.username} LOGIN PASSWORD '${user.password}'`);
});

afterAll(async () => {
  watch.assertNoLeak();
  otherCa?.cleanup();
  await server?.stop();
});

/** Runs the strategy's `test` (log in + SELECT 1) with the given TLS options against `host`. */
async function probe(tls: PostgresTlsOptions | undefined, host = server.host) {
  const observed = observedConnect();
  const strategy = createPostgresStrategy({
    mode: 'single-user',
    connect: observed.connect,
    ...(tls && { tls }),
  });
  const secret = strategy.parse(secretJson(server, user.username, user.password, { host }));
  const { ctx } = context(watch);
  const error = await strategy.test(secret, ctx).then(
    () => undefined,
    (e: unknown) => watch.error(e),
  );
  return { error, ...observed };
}

describe('TLS against PostgreSQL', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['localhost', 'localhost'],
  ])('verify-full with the test CA succeeds via %s, encrypted', async (_name, host) => {
    const { error, sessions } = await probe({ mode: 'verify-full', ca: server.ca }, host);
    expect(error).toBeUndefined();
    expect(sessions).toEqual([{ host, user: user.username, ssl: true }]);
  });

  it('verify-full with the wrong CA fails with a TLS error and does not retry in plaintext', async () => {
    const { error, attempts, sessions } = await probe({ mode: 'verify-full', ca: otherCa.caCert });
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error?.message).toMatch(/TLS failed in mode verify-full for user "tls_user" on 127\.0\.0\.1:\d+/);
    expect(error?.cause).toBeInstanceOf(ConnectionError);
    expect(attempts).toHaveLength(1);
    expect(sessions).toEqual([]);
  });

  it('the default (verify-full against the RDS bundle) rejects a certificate from another CA', async () => {
    const { error, attempts } = await probe(undefined);
    expect(error?.message).toMatch(/TLS failed in mode verify-full/);
    expect(attempts).toHaveLength(1);
  });

  it('verify-full fails on a hostname the certificate does not name, while verify-ca accepts it', async () => {
    const full = await probe({ mode: 'verify-full', ca: server.ca }, server.unnamedHost);
    expect(full.error?.message).toMatch(/TLS failed in mode verify-full .*(altnames|does not match)/);
    expect(full.sessions).toEqual([]);

    const ca = await probe({ mode: 'verify-ca', ca: server.ca }, server.unnamedHost);
    expect(ca.error).toBeUndefined();
    expect(ca.sessions).toEqual([{ host: server.unnamedHost, user: user.username, ssl: true }]);
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
    expect(sessions).toEqual([{ host: server.host, user: user.username, ssl: false }]);
  });
});
