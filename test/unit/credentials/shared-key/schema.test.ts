import { describe, expect, it } from 'vitest';
import { parseSharedKeySecret, serializeSharedKeySecret } from '../../../../lambdas/credentials/shared-key';
import { SecretFormatError } from '../../../../lambdas/shared/errors';
import { generateSharedKey, readSharedKeyVersion } from '../../../../lambdas/verifier';
import { recordSecretMaterial } from '../../../support/log-scan';
import { malformedCorpus } from '../../verifier/corpus';

const KEY = generateSharedKey();
const ID = KEY.slice(3, 15);
const SECRET = KEY.slice(16);
recordSecretMaterial(KEY, SECRET);

function formatError(value: string): SecretFormatError {
  try {
    parseSharedKeySecret(value);
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}

describe('Function: parseSharedKeySecret', () => {
  it('parses the full secret JSON and keeps unknown fields', () => {
    const value = parseSharedKeySecret(
      JSON.stringify({
        key: KEY,
        keyId: ID,
        createdAt: '2026-11-21T10:00:00.000Z',
        owner: 'orders',
        clients: ['web'],
      }),
    );
    expect(value).toMatchObject({ key: KEY, keyId: ID, createdAt: '2026-11-21T10:00:00.000Z' });
    expect(value.raw.owner).toBe('orders');
  });

  it('accepts a hand-made first secret holding only the key', () => {
    expect(parseSharedKeySecret(JSON.stringify({ key: KEY }))).toEqual({
      key: KEY,
      keyId: ID,
      raw: { key: KEY },
    });
  });

  it.each([
    ['not JSON', 'hk_', '$', /not valid JSON/],
    ['a JSON string', JSON.stringify(KEY), '$', /must be a JSON object/],
    ['no key', JSON.stringify({ keyId: ID }), 'key', /"key" is required/],
    ['a key of the wrong type', JSON.stringify({ key: 42 }), 'key', /expected a string/],
    [
      'a key id that is not the key’s',
      JSON.stringify({ key: KEY, keyId: 'aaaaaaaaaaaa' }),
      'keyId',
      /must equal the id inside "key" \(/,
    ],
    [
      'a malformed key id',
      JSON.stringify({ key: KEY, keyId: 'NOT-AN-ID' }),
      'keyId',
      /expected a key id matching/,
    ],
    ['a bad createdAt', JSON.stringify({ key: KEY, createdAt: 'yesterday' }), 'createdAt', /ISO 8601/],
  ])('refuses %s with a SecretFormatError naming the field', (_label, value, field, message) => {
    const error = formatError(value);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(SECRET);
  });

  it.each(malformedCorpus(KEY).filter(([, v]) => typeof v === 'string'))(
    'refuses a key that is %s, never echoing it',
    (_label, key) => {
      const error = formatError(JSON.stringify({ key }));
      expect(error.field).toBe('key');
      expect(error.message).not.toContain(SECRET);
      expect(error.message).toContain('^hk_([a-z2-7]{12})_([A-Za-z0-9]{43})$');
    },
  );

  it('agrees with the verifier’s reader on every value', () => {
    const values = [
      JSON.stringify({ key: KEY }),
      JSON.stringify({ key: KEY, keyId: ID }),
      JSON.stringify({ key: KEY, keyId: 'aaaaaaaaaaaa' }),
      JSON.stringify({}),
      '[]',
      'nope',
      ...malformedCorpus(KEY).map(([, key]) => JSON.stringify({ key })),
    ];
    for (const value of values) {
      const strategy = (() => {
        try {
          return parseSharedKeySecret(value).keyId;
        } catch (error) {
          return (error as SecretFormatError).field;
        }
      })();
      const verifier = (() => {
        try {
          return readSharedKeyVersion(value).keyId;
        } catch (error) {
          return (error as SecretFormatError).field;
        }
      })();
      expect(verifier).toBe(strategy);
    }
  });
});

describe('Function: serializeSharedKeySecret', () => {
  it('writes key, keyId and createdAt first and keeps every other field unchanged', () => {
    const parsed = parseSharedKeySecret(JSON.stringify({ owner: 'orders', key: KEY, nested: { a: [1, 2] } }));
    const next = generateSharedKey();
    recordSecretMaterial(next);
    const out = serializeSharedKeySecret({
      ...parsed,
      key: next,
      keyId: next.slice(3, 15),
      createdAt: '2026-11-21T10:00:00.000Z',
    });
    expect(out).toBe(
      JSON.stringify({
        key: next,
        keyId: next.slice(3, 15),
        createdAt: '2026-11-21T10:00:00.000Z',
        owner: 'orders',
        nested: { a: [1, 2] },
      }),
    );
    expect(parseSharedKeySecret(out).key).toBe(next);
  });
});
