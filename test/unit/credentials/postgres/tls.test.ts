import { describe, expect, it } from 'vitest';
import { isTlsError, loadRdsCaBundle, pgSslConfig } from '../../../../lambdas/credentials/postgres/tls';

describe('Function: pgSslConfig', () => {
  it('disables TLS only for disable', async () => {
    expect(await pgSslConfig({ mode: 'disable' }, 'h')).toBe(false);
  });

  it('encrypts without verification for require', async () => {
    expect(await pgSslConfig({ mode: 'require' }, 'h')).toEqual({ rejectUnauthorized: false });
  });

  it('verifies the chain but not the name for verify-ca', async () => {
    const config = await pgSslConfig({ mode: 'verify-ca', ca: 'PEM' }, 'h');
    expect(config).toMatchObject({ ca: 'PEM', rejectUnauthorized: true });
    if (config === false) throw new Error('expected TLS');
    expect(config.checkServerIdentity?.('other', {} as never)).toBeUndefined();
  });

  it('defaults to verify-full with the RDS bundle', async () => {
    const config = await pgSslConfig(undefined, 'db.example.internal');
    if (config === false) throw new Error('expected TLS');
    expect(config.rejectUnauthorized).toBe(true);
    const bundle = await loadRdsCaBundle();
    expect(config.ca).toEqual(bundle);
    expect(bundle.length).toBeGreaterThan(10);
    expect(bundle.every((pem) => pem.includes('BEGIN CERTIFICATE'))).toBe(true);
    const mismatch = config.checkServerIdentity?.('db.example.internal', {
      subject: { CN: 'other.example' },
      subjectaltname: 'DNS:other.example',
    } as never);
    expect(mismatch).toBeInstanceOf(Error);
  });
});

describe('Function: isTlsError', () => {
  it.each([
    [
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      true,
    ],
    [
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
      true,
    ],
    [new Error('The server does not support SSL connections'), true],
    [
      Object.assign(new Error('no pg_hba.conf entry for host, no encryption (SSL off)'), { code: '28000' }),
      false,
    ],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), false],
    ['a string', false],
  ])('classifies %s', (error, expected) => {
    expect(isTlsError(error)).toBe(expected);
  });
});
