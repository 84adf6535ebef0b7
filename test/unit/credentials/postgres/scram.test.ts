import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  saslPrep,
  scramSha256Keys,
  scramSha256Verifier,
} from '../../../../lambdas/credentials/postgres/scram';

// RFC 7677 section 3: user "user", password "pencil".
const RFC = {
  password: 'pencil',
  salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
  iterations: 4096,
  clientFirstBare: 'n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinalWithoutProof: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  proof: 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverSignature: '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

describe('Function: scramSha256Keys', () => {
  it('derives keys that reproduce the RFC 7677 exchange', async () => {
    const keys = await scramSha256Keys(RFC.password, RFC.salt, RFC.iterations);
    const authMessage = [RFC.clientFirstBare, RFC.serverFirst, RFC.clientFinalWithoutProof].join(',');
    const clientSignature = hmac(keys.storedKey, authMessage);
    const proof = Buffer.from(keys.clientKey.map((byte, i) => byte ^ (clientSignature[i] ?? 0)));
    expect(proof.toString('base64')).toBe(RFC.proof);
    expect(hmac(keys.serverKey, authMessage).toString('base64')).toBe(RFC.serverSignature);
    expect(createHash('sha256').update(keys.clientKey).digest()).toEqual(keys.storedKey);
  });
});

describe('Function: scramSha256Verifier', () => {
  it('formats the verifier the way PostgreSQL stores it', async () => {
    const verifier = await scramSha256Verifier(RFC.password, { salt: RFC.salt });
    const keys = await scramSha256Keys(RFC.password, RFC.salt, 4096);
    expect(verifier).toBe(
      `SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$${keys.storedKey.toString('base64')}:${keys.serverKey.toString('base64')}`,
    );
  });

  it('uses a fresh random salt each time and never contains the password', async () => {
    const password = 'Correct-Horse-Battery-Staple-42';
    const [a, b] = await Promise.all([scramSha256Verifier(password), scramSha256Verifier(password)]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toContain(password);
  });
});

describe('Function: saslPrep', () => {
  it.each([
    ['ASCII is unchanged', 'Pass word-1', 'Pass word-1'],
    ['NFKC normalises ligatures', 'ﬁsh', 'fish'],
    ['non-ASCII spaces become spaces', 'a\u00A0b', 'a b'],
    ['soft hyphens are removed', 'a\u00ADb', 'ab'],
    ['prohibited output falls back to the raw password', 'é\u0007', 'é\u0007'],
  ])('%s', (_name, input, expected) => {
    expect(saslPrep(input)).toBe(expected);
  });
});
