import { describe, expect, it } from 'vitest';
import { createPostgresStrategy } from '../../../../lambdas/credentials/postgres';
import {
  baseUsername,
  cloneUsername,
  parsePostgresCredentials,
  parsePostgresSecret,
  serializePostgresSecret,
  toggleUsername,
} from '../../../../lambdas/credentials/postgres/schema';
import { SecretFormatError } from '../../../../lambdas/shared/errors';

const PASSWORD = 'S3cret-Passw0rd_that.must~never.leak';
const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';

const valid = {
  engine: 'postgres',
  host: 'db.example.internal',
  port: 5432,
  username: 'app',
  password: PASSWORD,
  dbname: 'orders',
  masterarn: MASTER_ARN,
  dbInstanceIdentifier: 'orders-db',
};

const json = (overrides: Record<string, unknown>, drop: string[] = []) => {
  const value: Record<string, unknown> = { ...valid, ...overrides };
  for (const key of drop) delete value[key];
  return JSON.stringify(value);
};

function formatError(fn: () => unknown): SecretFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}

describe('Function: parsePostgresSecret', () => {
  it('parses what CDK DatabaseSecret and RDS write', () => {
    const secret = parsePostgresSecret(json({}));
    expect(secret).toMatchObject({
      host: 'db.example.internal',
      port: 5432,
      username: 'app',
      dbname: 'orders',
    });
    expect(secret.password).toBe(PASSWORD);
  });

  it('accepts the port as a string and as a number', () => {
    expect(parsePostgresSecret(json({ port: '6543' })).port).toBe(6543);
    expect(parsePostgresSecret(json({ port: 6543 })).port).toBe(6543);
  });

  it('defaults dbname to postgres', () => {
    expect(parsePostgresSecret(json({}, ['dbname'])).dbname).toBe('postgres');
  });

  it('accepts identifiers with digits, underscores and dollar signs up to 63 bytes', () => {
    expect(parsePostgresSecret(json({ username: `_a$9${'x'.repeat(59)}` })).username).toHaveLength(63);
  });
});

describe('Function: serializePostgresSecret', () => {
  it('preserves unknown fields and the original form of unchanged fields', () => {
    const original = json({ port: '5432', proxyHost: 'proxy.example', nested: { a: [1, 2] } }, ['dbname']);
    const secret = parsePostgresSecret(original);
    const out = JSON.parse(serializePostgresSecret({ ...secret, password: 'N3w-password-value-0123' }));
    expect(out).toEqual({ ...JSON.parse(original), password: 'N3w-password-value-0123' });
    expect(out.port).toBe('5432');
    expect('dbname' in out).toBe(false);
  });

  it('writes changed fields', () => {
    const secret = parsePostgresSecret(json({ port: '5432' }));
    const out = JSON.parse(serializePostgresSecret({ ...secret, username: 'app_clone', port: 6000 }));
    expect(out).toMatchObject({ username: 'app_clone', port: 6000, password: PASSWORD });
  });

  it('round-trips a value unchanged', () => {
    const original = json({ extra: true });
    expect(JSON.parse(serializePostgresSecret(parsePostgresSecret(original)))).toEqual(JSON.parse(original));
  });
});

describe('Function: parsePostgresCredentials', () => {
  it('accepts an RDS-managed master secret with only username and password', () => {
    const master = parsePostgresCredentials(JSON.stringify({ username: 'master', password: PASSWORD }));
    expect(master.username).toBe('master');
    expect(master.host).toBeUndefined();
    expect(master.port).toBeUndefined();
  });

  it('still rejects a hostile master username', () => {
    expect(
      formatError(() => parsePostgresCredentials(JSON.stringify({ username: 'a b', password: PASSWORD })))
        .field,
    ).toBe('username');
  });
});

const multibyte64 = 'é'.repeat(32); // 32 characters, 64 bytes
const badInputs: [string, string, string][] = [
  ['invalid JSON', `{"password": "${PASSWORD}",`, '$'],
  ['a JSON array', JSON.stringify([valid]), '$'],
  ['a JSON string', JSON.stringify(PASSWORD), '$'],
  ['null', 'null', '$'],
  ['missing host (and no RDS instance or cluster)', json({}, ['host', 'dbInstanceIdentifier']), 'host'],
  ['missing port (and no RDS instance or cluster)', json({}, ['port', 'dbInstanceIdentifier']), 'port'],
  ['missing username', json({}, ['username']), 'username'],
  ['missing password', json({}, ['password']), 'password'],
  ['empty password', json({ password: '' }), 'password'],
  ['password of the wrong type', json({ password: 12345678 }), 'password'],
  ['host of the wrong type', json({ host: ['db'] }), 'host'],
  ['empty host', json({ host: '' }), 'host'],
  ['port out of range', json({ port: 70000 }), 'port'],
  ['port zero', json({ port: 0 }), 'port'],
  ['non-numeric port string', json({ port: '54x2' }), 'port'],
  ['fractional port', json({ port: 5432.5 }), 'port'],
  ['port as boolean', json({ port: true }), 'port'],
  ['another engine', json({ engine: 'mysql' }), 'engine'],
  ['dbname of the wrong type', json({ dbname: 5 }), 'dbname'],
  ['username of the wrong type', json({ username: 42 }), 'username'],
  ['empty username', json({ username: '' }), 'username'],
  ['SQL injection in username', json({ username: 'a"; DROP ROLE x; --' }), 'username'],
  ['quote in username', json({ username: "app'" }), 'username'],
  ['space in username', json({ username: 'my app' }), 'username'],
  ['hyphen in username', json({ username: 'my-app' }), 'username'],
  ['username starting with a digit', json({ username: '1app' }), 'username'],
  ['NUL in username', json({ username: 'app\u0000' }), 'username'],
  ['newline in username', json({ username: 'app\nx' }), 'username'],
  ['64-byte username', json({ username: 'a'.repeat(64) }), 'username'],
  ['multibyte username over 63 bytes', json({ username: multibyte64 }), 'username'],
  ['multibyte username under 63 bytes', json({ username: 'é'.repeat(20) }), 'username'],
  ['password in the username field', json({ username: PASSWORD }), 'username'],
];

describe('Function: parsePostgresSecret (bad input)', () => {
  it.each(badInputs)('rejects %s naming the field, without echoing the value', (_name, input, field) => {
    const error = formatError(() => parsePostgresSecret(input));
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error.field).toBe(field);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('DROP ROLE');
    expect(String(error.stack)).not.toContain(PASSWORD);
    expect(error.cause).toBeUndefined();
  });

  it('says what was expected', () => {
    expect(
      formatError(() => parsePostgresSecret(json({}, ['host', 'dbInstanceIdentifier']))).message,
    ).toMatch(/^secret field "host" is required unless the secret names an RDS instance or cluster/);
    expect(formatError(() => parsePostgresSecret(json({ username: 'a'.repeat(64) }))).message).toMatch(
      /at most 63 bytes/,
    );
    expect(formatError(() => parsePostgresSecret(json({ username: 'a;b' }))).message).toMatch(
      /plain identifier/,
    );
    expect(formatError(() => parsePostgresSecret('{')).message).toMatch(/not valid JSON/);
  });

  it('measures the limit in bytes, not characters', () => {
    expect(multibyte64).toHaveLength(32);
    expect(formatError(() => parsePostgresSecret(json({ username: multibyte64 }))).message).toMatch(
      /at most 63 bytes/,
    );
  });
});

describe('Alternating-users parse', () => {
  const strategy = createPostgresStrategy({ mode: 'alternating-users', connect: async () => never() });

  it('rejects a username whose clone name exceeds 63 bytes', () => {
    const error = formatError(() => strategy.parse(json({ username: 'a'.repeat(58) })));
    expect(error.field).toBe('username');
    expect(error.message).toMatch(/clone name .* at most 63 bytes, got 64 bytes/);
  });

  it('accepts the longest clonable username, and its clone', () => {
    expect(strategy.parse(json({ username: 'a'.repeat(57) })).username).toHaveLength(57);
    expect(strategy.parse(json({ username: `${'a'.repeat(57)}_clone` })).username).toHaveLength(63);
  });

  it('requires masterarn', () => {
    const error = formatError(() => strategy.parse(json({}, ['masterarn'])));
    expect(error.field).toBe('masterarn');
  });

  it('single-user does not require masterarn nor a clonable name', () => {
    const single = createPostgresStrategy({ mode: 'single-user', connect: async () => never() });
    expect(single.parse(json({ username: 'a'.repeat(63) }, ['masterarn'])).username).toHaveLength(63);
  });
});

describe('Username toggle', () => {
  it.each([
    ['app', 'app_clone'],
    ['app_clone', 'app'],
    ['my_app_clone', 'my_app'],
    ['_clone', '_clone_clone'],
  ])('toggles %s to %s', (from, to) => {
    expect(toggleUsername(from)).toBe(to);
    expect(toggleUsername(to)).toBe(from);
  });

  it('strips one suffix only', () => {
    expect(toggleUsername('app_clone_clone')).toBe('app_clone');
  });

  it('derives the base and clone of either user', () => {
    expect(baseUsername('app_clone')).toBe('app');
    expect(baseUsername('app')).toBe('app');
    expect(cloneUsername('app_clone')).toBe('app_clone');
  });
});

function never(): never {
  throw new Error('no connection expected');
}
