import { describe, expect, it } from 'vitest';
import {
  maskAccessKeyId,
  maskAccessKeyIds,
  parseAccessKeySecret,
  serializeAccessKeySecret,
} from '../../../../lambdas/credentials/iam-access-key';
import { SecretFormatError } from '../../../../lambdas/shared/errors';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const valid = { username: 'app', accessKeyId: KEY_ID, secretAccessKey: SECRET };

function formatError(value: string): SecretFormatError {
  try {
    parseAccessKeySecret(value);
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}

describe('Function: parseAccessKeySecret', () => {
  it('parses the canonical camelCase secret and keeps the raw object', () => {
    const parsed = parseAccessKeySecret(JSON.stringify({ ...valid, note: 'ci' }));

    expect(parsed).toMatchObject(valid);
    expect(parsed.raw).toEqual({ ...valid, note: 'ci' });
  });

  it('accepts the PascalCase spellings of the IAM API', () => {
    const parsed = parseAccessKeySecret(
      JSON.stringify({ UserName: 'app', AccessKeyId: KEY_ID, SecretAccessKey: SECRET }),
    );

    expect(parsed).toMatchObject(valid);
  });

  it('accepts both spellings of a field when they agree', () => {
    const parsed = parseAccessKeySecret(JSON.stringify({ ...valid, AccessKeyId: KEY_ID }));

    expect(parsed.accessKeyId).toBe(KEY_ID);
  });

  it.each([
    ['malformed JSON', `{"username":"app","secretAccessKey":"${SECRET}"`, '$', 'not valid JSON'],
    ['a JSON array', JSON.stringify([valid]), '$', 'must be a JSON object'],
    ['a JSON string', JSON.stringify('app'), '$', 'must be a JSON object'],
    ['null', 'null', '$', 'must be a JSON object'],
    ['a missing username', JSON.stringify({ ...valid, username: undefined }), 'username', 'is required'],
    [
      'a missing accessKeyId',
      JSON.stringify({ ...valid, accessKeyId: undefined }),
      'accessKeyId',
      'is required',
    ],
    [
      'a missing secretAccessKey',
      JSON.stringify({ ...valid, secretAccessKey: undefined }),
      'secretAccessKey',
      'is required (spelled "secretAccessKey" or "SecretAccessKey")',
    ],
    ['a numeric username', JSON.stringify({ ...valid, username: 42 }), 'username', 'expected a string'],
    ['an empty username', JSON.stringify({ ...valid, username: '' }), 'username', 'non-empty'],
    ['a username with a space', JSON.stringify({ ...valid, username: 'a b' }), 'username', 'IAM user name'],
    [
      'a username of 65 characters',
      JSON.stringify({ ...valid, username: 'a'.repeat(65) }),
      'username',
      'IAM user name',
    ],
    [
      'a lowercase key id',
      JSON.stringify({ ...valid, accessKeyId: KEY_ID.toLowerCase() }),
      'accessKeyId',
      'access key id',
    ],
    ['a short key id', JSON.stringify({ ...valid, accessKeyId: 'AKIA123' }), 'accessKeyId', 'access key id'],
    [
      'a temporary key id',
      JSON.stringify({ ...valid, accessKeyId: 'ASIAIOSFODNN7EXAMPLE' }),
      'accessKeyId',
      'temporary',
    ],
    [
      'a key id that is an object',
      JSON.stringify({ ...valid, accessKeyId: { id: KEY_ID } }),
      'accessKeyId',
      'expected a string',
    ],
    [
      'an empty secretAccessKey',
      JSON.stringify({ ...valid, secretAccessKey: '' }),
      'secretAccessKey',
      'non-empty',
    ],
    [
      'a secretAccessKey that is a number',
      JSON.stringify({ ...valid, secretAccessKey: 7 }),
      'secretAccessKey',
      'expected a string',
    ],
    [
      'a PascalCase field of the wrong type',
      JSON.stringify({ UserName: 'app', AccessKeyId: 12, SecretAccessKey: SECRET }),
      'AccessKeyId',
      'expected a string',
    ],
    [
      'two spellings that disagree',
      JSON.stringify({ ...valid, AccessKeyId: 'AKIAOTHERKEYEXAMPLE1' }),
      'accessKeyId',
      'both present and differ',
    ],
  ])('rejects %s with a SecretFormatError naming the field', (_name, value, field, message) => {
    const error = formatError(value);

    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(KEY_ID);
  });
});

describe('Function: serializeAccessKeySecret', () => {
  it('writes new values back and keeps unknown fields', () => {
    const parsed = parseAccessKeySecret(JSON.stringify({ ...valid, region: 'eu-west-1', tags: ['a'] }));

    const out = JSON.parse(
      serializeAccessKeySecret({
        ...parsed,
        accessKeyId: 'AKIANEWKEYEXAMPLE123',
        secretAccessKey: 'new-secret',
      }),
    );

    expect(out).toEqual({
      username: 'app',
      accessKeyId: 'AKIANEWKEYEXAMPLE123',
      secretAccessKey: 'new-secret',
      region: 'eu-west-1',
      tags: ['a'],
    });
  });

  it('keeps the spelling the secret used, and both when it had both', () => {
    const pascal = parseAccessKeySecret(
      JSON.stringify({ UserName: 'app', AccessKeyId: KEY_ID, SecretAccessKey: SECRET, accessKeyId: KEY_ID }),
    );

    const out = JSON.parse(serializeAccessKeySecret({ ...pascal, accessKeyId: 'AKIANEWKEYEXAMPLE123' }));

    expect(out).toEqual({
      UserName: 'app',
      AccessKeyId: 'AKIANEWKEYEXAMPLE123',
      accessKeyId: 'AKIANEWKEYEXAMPLE123',
      SecretAccessKey: SECRET,
    });
  });

  it('round-trips a parsed value unchanged', () => {
    const text = JSON.stringify({ ...valid, extra: { nested: true } });

    expect(serializeAccessKeySecret(parseAccessKeySecret(text))).toBe(text);
  });
});

describe('Function: maskAccessKeyId', () => {
  it('keeps the first and last four characters only', () => {
    expect(maskAccessKeyId(KEY_ID)).toBe('AKIA…MPLE');
    expect(maskAccessKeyId('SHORT')).toBe('…');
  });

  it('masks every key id inside a text', () => {
    expect(maskAccessKeyIds(`key ${KEY_ID} and ASIAIOSFODNN7EXAMPL2, user app`)).toBe(
      'key AKIA…MPLE and ASIA…MPL2, user app',
    );
  });
});
