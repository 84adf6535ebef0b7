import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  account,
  literal,
  nativePasswordHash,
  parseSqlMode,
  splitAccount,
} from '../../../../lambdas/credentials/mysql/sql';

const DEFAULT = { noBackslashEscapes: false, ansiQuotes: false };
const NO_BACKSLASH = { noBackslashEscapes: true, ansiQuotes: false };

describe('Function: literal', () => {
  it.each([
    ['plain', 'app', "'app'", "'app'"],
    ['a single quote', "a'b", "'a\\'b'", "'a''b'"],
    ['a backslash', 'a\\b', "'a\\\\b'", "'a\\b'"],
    [
      'a quote after a backslash',
      "a\\'; DROP USER x; --",
      "'a\\\\\\'; DROP USER x; --'",
      "'a\\''; DROP USER x; --'",
    ],
    ['a host wildcard', '10.0.%', "'10.0.%'", "'10.0.%'"],
  ])('escapes %s for the session SQL mode', (_name, value, normal, noBackslash) => {
    expect(literal(value, DEFAULT)).toBe(normal);
    expect(literal(value, NO_BACKSLASH)).toBe(noBackslash);
  });

  it('keeps an injection attempt inside one string literal in both modes', () => {
    const hostile = "x' OR '1'='1";
    for (const mode of [DEFAULT, NO_BACKSLASH]) {
      const quoted = literal(hostile, mode);
      // Reading it back the way the server does yields the original value.
      const body = quoted.slice(1, -1);
      const decoded = mode.noBackslashEscapes
        ? body.replaceAll("''", "'")
        : body.replace(/\\(.)/g, (_m, c: string) => c);
      expect(decoded).toBe(hostile);
    }
  });
});

describe('Function: account', () => {
  it('quotes user and host as string literals', () => {
    expect(account('app_clone', '%', DEFAULT)).toBe("'app_clone'@'%'");
    expect(account('app', "o'host", NO_BACKSLASH)).toBe("'app'@'o''host'");
  });
});

describe('Function: parseSqlMode', () => {
  it.each([
    ['', DEFAULT],
    ['STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION', DEFAULT],
    ['NO_BACKSLASH_ESCAPES', NO_BACKSLASH],
    ['ANSI_QUOTES', { noBackslashEscapes: false, ansiQuotes: true }],
    ['ANSI,NO_BACKSLASH_ESCAPES', { noBackslashEscapes: true, ansiQuotes: true }],
  ])('reads %j', (mode, expected) => {
    expect(parseSqlMode(mode)).toEqual(expected);
  });
});

describe('Function: splitAccount', () => {
  it('splits CURRENT_USER() at the first @', () => {
    expect(splitAccount('app@%')).toEqual({ user: 'app', host: '%' });
    expect(splitAccount('app@10.0.%')).toEqual({ user: 'app', host: '10.0.%' });
    expect(splitAccount('app@')).toEqual({ user: 'app', host: '' });
  });
});

describe('Function: nativePasswordHash', () => {
  it('matches the documented mysql_native_password hash of "password"', () => {
    expect(nativePasswordHash('password')).toBe('*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19');
  });

  it('is SHA1(SHA1(password)) in upper-case hex with a star', () => {
    const password = 'Pending-passw0rd-bbbbbbbbbbbbbbbb';
    const inner = createHash('sha1').update(password).digest();
    expect(nativePasswordHash(password)).toBe(
      `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`,
    );
    expect(nativePasswordHash(password)).not.toContain(password);
  });
});
