import { describe, expect, it } from 'vitest';
import { loadRdsCaBundle } from '../../../../lambdas/credentials/database/tls';
import { isMysqlTlsError, mysqlSslConfig, unverifiableHost } from '../../../../lambdas/credentials/mysql/tls';
import { mysqlError } from './fakes';

describe('Function: mysqlSslConfig', () => {
  it('disables TLS only for disable', async () => {
    expect(await mysqlSslConfig({ mode: 'disable' })).toBe(false);
  });

  it('encrypts without verification for require', async () => {
    expect(await mysqlSslConfig({ mode: 'require' })).toEqual({
      rejectUnauthorized: false,
      verifyIdentity: false,
    });
  });

  it('verifies the chain but not the name for verify-ca', async () => {
    expect(await mysqlSslConfig({ mode: 'verify-ca', ca: 'PEM' })).toEqual({
      ca: 'PEM',
      rejectUnauthorized: true,
      verifyIdentity: false,
    });
  });

  it('defaults to verify-full (chain and name) with the RDS bundle', async () => {
    const config = await mysqlSslConfig(undefined);
    if (config === false) throw new Error('expected TLS');
    expect(config).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    const bundle = await loadRdsCaBundle();
    expect(config.ca).toEqual(bundle);
    expect(bundle.length).toBeGreaterThan(10);
  });
});

describe('Function: isMysqlTlsError', () => {
  it.each([
    [
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'HANDSHAKE_SSL_ERROR',
      }),
      true,
    ],
    [
      Object.assign(new Error('Server does not support secure connection'), {
        code: 'HANDSHAKE_NO_SSL_SUPPORT',
      }),
      true,
    ],
    [
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
      true,
    ],
    [mysqlError('ER_ACCESS_DENIED_ERROR', 1045, '28000', "Access denied for user 'app' (using SSL)"), false],
    [
      mysqlError(
        'ER_SECURE_TRANSPORT_REQUIRED',
        3159,
        'HY000',
        'Connections using insecure transport are prohibited',
      ),
      false,
    ],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), false],
    ['a string', false],
  ])('classifies %s', (error, expected) => {
    expect(isMysqlTlsError(error)).toBe(expected);
  });
});

describe('Function: unverifiableHost', () => {
  it.each([
    ['verify-full', '10.0.0.5', true],
    ['verify-full', '::1', true],
    ['verify-full', 'db.abc.eu-west-1.rds.amazonaws.com', false],
    ['verify-full', 'localhost', false],
    ['verify-ca', '10.0.0.5', false],
    ['require', '10.0.0.5', false],
  ] as const)('in %s, %s is refused: %s', (mode, host, refused) => {
    const reason = unverifiableHost(mode, host);
    if (refused) expect(reason).toMatch(/cannot check the IP address .* or use verify-ca/);
    else expect(reason).toBeUndefined();
  });
});
