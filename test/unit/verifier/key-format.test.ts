import { describe, expect, it } from 'vitest';
import { SecretFormatError } from '../../../lambdas/shared/errors';
import {
  entropyProblem,
  generateSharedKey,
  isSharedKey,
  keyIdOfMalformed,
  parseSharedKey,
  readSharedKeyVersion,
  SECRET_ENTROPY_BITS,
  SHARED_KEY_FORMAT,
  SHARED_KEY_LENGTH,
  SHARED_KEY_PATTERN,
} from '../../../lambdas/verifier';
import { recordSecretMaterial } from '../../support/log-scan';
import { malformedCorpus } from './corpus';

const VALID = generateSharedKey();
recordSecretMaterial(VALID, VALID.slice(16));
const ID = VALID.slice(3, 15);
const SECRET = VALID.slice(16);

const MALFORMED_CORPUS = malformedCorpus(VALID);

describe('Function: generateSharedKey', () => {
  it('makes 59-character keys of the documented format', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateSharedKey();
      expect(key).toHaveLength(SHARED_KEY_LENGTH);
      expect(key).toMatch(SHARED_KEY_PATTERN);
      expect(key).toMatch(/^hk_[a-z2-7]{12}_[A-Za-z0-9]{43}$/);
    }
    expect(SHARED_KEY_LENGTH).toBe(59);
  });

  it('draws secrets with at least 256 bits of entropy from the whole alphabet', () => {
    expect(SECRET_ENTROPY_BITS).toBeGreaterThanOrEqual(256);
    const keys = Array.from({ length: 2000 }, generateSharedKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.slice(3, 15))).size).toBe(keys.length);
    const secretChars = new Set(keys.flatMap((k) => [...k.slice(16)]));
    expect([...secretChars].sort().join('')).toBe([...SHARED_KEY_FORMAT.secretAlphabet].sort().join(''));
    const idChars = new Set(keys.flatMap((k) => [...k.slice(3, 15)]));
    expect([...idChars].sort().join('')).toBe([...SHARED_KEY_FORMAT.idAlphabet].sort().join(''));
  });

  it('spreads characters evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++)
      for (const c of generateSharedKey().slice(16)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (n * 43) / 62;
    for (const count of counts.values()) {
      // ~2774 expected per character; 6 standard deviations is ±~310.
      expect(Math.abs(count - expected)).toBeLessThan(expected * 0.12);
    }
  });
});

describe('Function: parseSharedKey', () => {
  it('splits a key into its public id and secret part', () => {
    expect(parseSharedKey(VALID)).toEqual({ keyId: ID, secret: SECRET });
    expect(isSharedKey(VALID)).toBe(true);
  });

  it.each(MALFORMED_CORPUS)('rejects %s', (_label, value) => {
    expect(parseSharedKey(value)).toBeUndefined();
    expect(isSharedKey(value)).toBe(false);
  });
});

describe('Function: keyIdOfMalformed', () => {
  it('names the key id of a value that starts like a key', () => {
    expect(keyIdOfMalformed(`hk_${ID}_${SECRET.slice(5)}`)).toBe(ID);
    expect(keyIdOfMalformed(`${VALID}\n`)).toBe(ID);
  });

  it.each([
    ['no prefix', SECRET],
    ['a short value', 'hk_abc'],
    ['an id outside the alphabet', `hk_ABCDEFGHIJKL_${SECRET}`],
    ['no separator after the id', `hk_${ID}${SECRET}`],
    ['a non-string', 7],
  ])('returns nothing for %s', (_label, value) => {
    expect(keyIdOfMalformed(value)).toBeUndefined();
  });
});

describe('Function: entropyProblem', () => {
  it('accepts generated secrets', () => {
    for (let i = 0; i < 500; i++) expect(entropyProblem(generateSharedKey().slice(16))).toBeUndefined();
  });

  it.each([
    ['a repeated character', 'a'.repeat(43), /only 1 distinct/],
    ['a short alphabet', 'abcdefghijklmno'.repeat(3).slice(0, 43), /only 15 distinct/],
    ['a wrong length', SECRET.slice(1), /must be 43 characters, got 42/],
    ['a non-base62 character', `${SECRET.slice(1)}-`, /base62/],
  ])('reports %s without echoing the secret', (_label, secret, problem) => {
    const message = entropyProblem(secret);
    expect(message).toMatch(problem);
    expect(message).not.toContain(secret);
  });
});

describe('Function: readSharedKeyVersion', () => {
  it('reads the key from the secret JSON', () => {
    const value = JSON.stringify({
      key: VALID,
      keyId: ID,
      createdAt: '2026-11-21T10:00:00Z',
      owner: 'orders',
    });
    expect(readSharedKeyVersion(value)).toEqual({ key: VALID, keyId: ID, secret: SECRET });
    expect(readSharedKeyVersion(JSON.stringify({ key: VALID })).keyId).toBe(ID);
  });

  it.each([
    ['not JSON', `{"key": "${VALID}"`, '$'],
    ['a JSON array', JSON.stringify([VALID]), '$'],
    ['no key', JSON.stringify({ keyId: ID }), 'key'],
    ['a malformed key', JSON.stringify({ key: `${VALID}x` }), 'key'],
    ['a key id that is not the key’s', JSON.stringify({ key: VALID, keyId: 'aaaaaaaaaaaa' }), 'keyId'],
  ])('fails with a SecretFormatError naming the field for %s, never the key', (_label, value, field) => {
    let error: unknown;
    try {
      readSharedKeyVersion(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe(field);
    expect((error as Error).message).not.toContain(SECRET);
  });
});
