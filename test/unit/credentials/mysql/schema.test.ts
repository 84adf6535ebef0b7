import { describe, expect, it } from 'vitest';
import { createMysqlStrategy } from '../../../../lambdas/credentials/mysql';
import {
  assertClonable,
  parseMysqlCredentials,
  parseMysqlSecret,
  serializeMysqlSecret,
} from '../../../../lambdas/credentials/mysql/schema';
import { SecretFormatError } from '../../../../lambdas/shared/errors';

const PASSWORD = 'S3cret-Passw0rd_that.must~never.leak';
const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';

/** What CDK's DatabaseSecret plus an RDS secret attachment write for a MySQL instance. */
const valid = {
  engine: 'mysql',
  host: 'db.abc.eu-west-1.rds.amazonaws.com',
  port: 3306,
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

describe('Function: parseMysqlSecret', () => {
  it('parses what CDK DatabaseSecret and RDS write', () => {
    const secret = parseMysqlSecret(json({}));
    expect(secret).toMatchObject({
      engine: 'mysql',
      host: 'db.abc.eu-west-1.rds.amazonaws.com',
      port: 3306,
      username: 'app',
      dbname: 'orders',
      masterarn: MASTER_ARN,
      dbInstanceIdentifier: 'orders-db',
    });
    expect(secret.password).toBe(PASSWORD);
  });

  it.each(['mysql', 'mariadb', 'aurora-mysql'])('accepts engine %s', (engine) => {
    expect(parseMysqlSecret(json({ engine })).engine).toBe(engine);
  });

  it('accepts the port as a string and as a number, and defaults it to 3306', () => {
    expect(parseMysqlSecret(json({ port: '3307' })).port).toBe(3307);
    expect(parseMysqlSecret(json({ port: 3307 })).port).toBe(3307);
    expect(parseMysqlSecret(json({}, ['port'])).port).toBe(3306);
  });

  it('leaves dbname undefined when absent (a MySQL login needs no database)', () => {
    expect(parseMysqlSecret(json({}, ['dbname'])).dbname).toBeUndefined();
  });

  it('accepts plain identifiers up to 80 characters (MariaDB) at parse time', () => {
    expect(parseMysqlSecret(json({ username: `_a$9${'x'.repeat(76)}` })).username).toHaveLength(80);
  });

  it('accepts a secret without engine (older secrets)', () => {
    expect(parseMysqlSecret(json({}, ['engine'])).engine).toBeUndefined();
  });
});

describe('Function: parseMysqlSecret with bad input', () => {
  it.each([
    ['not JSON', '{"username": "app", "password": "S3cret-Passw0rd', '$'],
    ['a JSON array', '[1, 2]', '$'],
    ['JSON null', 'null', '$'],
    ['a JSON string', '"app"', '$'],
    ['no username', json({}, ['username']), 'username'],
    ['no password', json({}, ['password']), 'password'],
    ['no host (and no RDS instance or cluster)', json({}, ['host', 'dbInstanceIdentifier']), 'host'],
    ['an empty password', json({ password: '' }), 'password'],
    ['an empty host', json({ host: '' }), 'host'],
    ['a numeric username', json({ username: 42 }), 'username'],
    ['an empty username', json({ username: '' }), 'username'],
    ['an SQL injection in the username', json({ username: "a'; DROP USER x; --" }), 'username'],
    ['a backtick in the username', json({ username: 'a`b' }), 'username'],
    ['a user@host username', json({ username: "app'@'%" }), 'username'],
    ['a hyphen in the username', json({ username: 'my-app' }), 'username'],
    ['a space in the username', json({ username: 'my app' }), 'username'],
    ['a leading digit in the username', json({ username: '1app' }), 'username'],
    ['a NUL in the username', json({ username: 'app\u0000' }), 'username'],
    ['a newline in the username', json({ username: 'app\nx' }), 'username'],
    ['a non-ASCII username', json({ username: 'appé' }), 'username'],
    ['a username over 80 characters', json({ username: 'a'.repeat(81) }), 'username'],
    ['engine postgres', json({ engine: 'postgres' }), 'engine'],
    ['port 0', json({ port: 0 }), 'port'],
    ['port 65536', json({ port: 65536 }), 'port'],
    ['a fractional port', json({ port: 3306.5 }), 'port'],
    ['a non-numeric port string', json({ port: 'mysql' }), 'port'],
    ['a negative port string', json({ port: '-1' }), 'port'],
    ['an empty masterarn', json({ masterarn: '' }), 'masterarn'],
    ['a non-string dbname', json({ dbname: 7 }), 'dbname'],
  ])('rejects %s, naming the field and never the value', (_name, value, field) => {
    const error = formatError(() => parseMysqlSecret(value));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field === '$' ? 'JSON' : `"${field}"`);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('DROP USER');
    expect(error.cause).toBeUndefined();
  });
});

describe('Function: parseMysqlCredentials', () => {
  it('accepts an RDS-managed master secret: username and password only', () => {
    const master = parseMysqlCredentials(JSON.stringify({ username: 'admin', password: PASSWORD }));
    expect(master).toMatchObject({ username: 'admin', password: PASSWORD });
    expect(master.host).toBeUndefined();
    expect(master.port).toBeUndefined();
  });

  it('rejects a master secret without a password, naming the field', () => {
    expect(formatError(() => parseMysqlCredentials(JSON.stringify({ username: 'admin' }))).field).toBe(
      'password',
    );
  });
});

describe('Function: serializeMysqlSecret', () => {
  it('preserves unknown fields and the original form of unchanged fields', () => {
    const original = json({ port: '3306', proxyHost: 'proxy.example', nested: { a: [1, 2] } });
    const secret = parseMysqlSecret(original);
    const out = JSON.parse(serializeMysqlSecret({ ...secret, password: 'N3w-password-value-0123' }));
    expect(out).toEqual({ ...JSON.parse(original), password: 'N3w-password-value-0123' });
    expect(out.port).toBe('3306');
  });

  it('does not add a defaulted port or an absent dbname', () => {
    const secret = parseMysqlSecret(json({}, ['port', 'dbname']));
    const out = JSON.parse(serializeMysqlSecret(secret));
    expect('port' in out).toBe(false);
    expect('dbname' in out).toBe(false);
  });

  it('writes changed fields', () => {
    const secret = parseMysqlSecret(json({}));
    const out = JSON.parse(
      serializeMysqlSecret({ ...secret, username: 'app_clone', password: 'x'.repeat(20) }),
    );
    expect(out).toMatchObject({ username: 'app_clone', password: 'x'.repeat(20), port: 3306 });
  });
});

describe('Function: assertClonable', () => {
  it('accepts a username whose clone fits 80 characters', () => {
    expect(() => assertClonable('a'.repeat(74))).not.toThrow();
  });

  it('rejects a username whose clone does not fit, naming the field', () => {
    const error = formatError(() => assertClonable('a'.repeat(75)));
    expect(error.field).toBe('username');
    expect(error.message).toMatch(/at most 80 characters, got 81/);
  });
});

describe('Strategy parse', () => {
  it('requires masterarn for alternating users', () => {
    const strategy = createMysqlStrategy({ mode: 'alternating-users' });
    expect(formatError(() => strategy.parse(json({}, ['masterarn']))).field).toBe('masterarn');
  });

  it('refuses, for alternating users, a username whose clone would exceed 80 characters', () => {
    const strategy = createMysqlStrategy({ mode: 'alternating-users' });
    expect(formatError(() => strategy.parse(json({ username: 'a'.repeat(76) }))).field).toBe('username');
  });

  it('does not need masterarn for single-user and dual-password', () => {
    for (const mode of ['single-user', 'dual-password'] as const) {
      expect(createMysqlStrategy({ mode }).parse(json({}, ['masterarn'])).username).toBe('app');
    }
  });
});
