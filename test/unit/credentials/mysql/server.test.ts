import { describe, expect, it } from 'vitest';
import {
  assertAccountLock,
  assertAlterUser,
  assertDualPassword,
  assertUsernameFits,
  maxUsernameLength,
  parseServerVersion,
  supportsDualPassword,
} from '../../../../lambdas/credentials/mysql/server';
import { SecretFormatError, TargetError } from '../../../../lambdas/shared/errors';

describe('Function: parseServerVersion', () => {
  it.each([
    ['10.11.19-MariaDB-0+deb12u1-log', 'mariadb', 10, 11, 19],
    ['10.6.14-MariaDB', 'mariadb', 10, 6, 14],
    ['5.5.5-10.6.14-MariaDB-log', 'mariadb', 10, 6, 14],
    ['11.4.2-MariaDB-ubu2404', 'mariadb', 11, 4, 2],
    ['8.0.35', 'mysql', 8, 0, 35],
    ['8.4.3-log', 'mysql', 8, 4, 3],
    ['8.0.36-28', 'mysql', 8, 0, 36],
    ['5.7.44-log', 'mysql', 5, 7, 44],
    ['8.0.mysql_aurora.3.05.2', 'mysql', 8, 0, 23],
    ['5.7.mysql_aurora.2.11.2', 'mysql', 5, 7, 12],
  ])('reads %s as %s %i.%i.%i', (version, variant, major, minor, patch) => {
    expect(parseServerVersion(version)).toEqual({ variant, major, minor, patch, version });
  });

  it('fails clearly on a version it cannot read', () => {
    expect(() => parseServerVersion('banana')).toThrow(TargetError);
    expect(() => parseServerVersion('banana')).toThrow(
      /cannot tell the server's version from VERSION\(\) = 'banana'/,
    );
  });
});

describe('Function: maxUsernameLength', () => {
  it.each([
    ['10.11.19-MariaDB', 80],
    ['8.0.35', 32],
    ['5.7.8', 32],
    ['5.7.7', 16],
    ['5.6.51', 16],
    ['8.0.mysql_aurora.3.05.2', 32],
  ])('is right for %s: %i', (version, limit) => {
    expect(maxUsernameLength(parseServerVersion(version))).toBe(limit);
  });
});

describe('Function: assertUsernameFits', () => {
  it('names the field, the length, the limit and the server', () => {
    const error = (() => {
      try {
        assertUsernameFits('a'.repeat(33), parseServerVersion('8.0.35'), 'the clone user name');
      } catch (e) {
        return e as SecretFormatError;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error.field).toBe('username');
    expect(error.message).toMatch(
      /the clone user name "a{33}" has 33 characters; MySQL 8\.0\.35 .* accepts at most 32/,
    );
  });

  it('accepts a name at the limit', () => {
    expect(() => assertUsernameFits('a'.repeat(32), parseServerVersion('8.0.35'), 'u')).not.toThrow();
    expect(() =>
      assertUsernameFits('a'.repeat(80), parseServerVersion('10.11.2-MariaDB'), 'u'),
    ).not.toThrow();
  });
});

describe('Capability detection', () => {
  it.each([
    ['8.0.14', true],
    ['8.0.35', true],
    ['8.4.3', true],
    ['9.1.0', true],
    ['8.0.mysql_aurora.3.05.2', true],
    ['8.0.13', false],
    ['5.7.44', false],
    ['10.11.19-MariaDB', false],
    ['11.4.2-MariaDB', false],
  ])('dual passwords on %s: %s', (version, expected) => {
    expect(supportsDualPassword(parseServerVersion(version))).toBe(expected);
  });

  it('names the mode and the server when MariaDB is asked for dual passwords', () => {
    expect(() => assertDualPassword(parseServerVersion('10.11.19-MariaDB-log'))).toThrow(
      /dual-password mode needs MySQL 8\.0\.14 or later .*the server is MariaDB 10\.11\.19 .*MariaDB has no dual passwords\. Use alternating-users instead/,
    );
  });

  it('names the version when MySQL is too old for dual passwords', () => {
    expect(() => assertDualPassword(parseServerVersion('8.0.13'))).toThrow(
      /the server is MySQL 8\.0\.13 .*dual passwords arrived in MySQL 8\.0\.14/,
    );
  });

  it.each([
    ['10.4.2-MariaDB', true],
    ['10.3.39-MariaDB', false],
    ['5.7.6', true],
    ['5.7.5', false],
  ])('ACCOUNT LOCK on %s: %s', (version, ok) => {
    const check = () => assertAccountLock(parseServerVersion(version), 'alternating-users');
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(/alternating-users mode locks the old user \(ACCOUNT LOCK\)/);
  });

  it.each([
    ['5.7.6', true],
    ['5.6.51', false],
  ])('ALTER USER on %s: %s', (version, ok) => {
    const check = () => assertAlterUser(parseServerVersion(version), 'single-user');
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(/single-user mode needs MySQL 5\.7\.6\+/);
  });
});
