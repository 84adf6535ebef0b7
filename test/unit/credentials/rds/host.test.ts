import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabaseLocator } from '../../../../lambdas/credentials/database/rds';
import { isHostOrAddress } from '../../../../lambdas/credentials/database/schema';
import { parseMysqlCredentials, parseMysqlSecret } from '../../../../lambdas/credentials/mysql/schema';
import {
  parsePostgresCredentials,
  parsePostgresSecret,
} from '../../../../lambdas/credentials/postgres/schema';
import { TargetError } from '../../../../lambdas/shared/errors';
import { type FakeAws, fakeAws, formatError, recordingLogger, rejectionOf } from './fakes';

const PASSWORD = 'Hunter2-Passw0rd-that-never-leaks';

/** Hosts that parse as JSON strings but are no host name and no IP address. */
const HOSTILE: ReadonlyArray<[string, string]> = [
  ['a NUL byte', 'db\u0000evil'],
  ['a query string with a password', `db?password=${PASSWORD}`],
  ['a connection string', `postgres://app:${PASSWORD}@db:5432/orders`],
  ['user info', 'app@db'],
  ['a port', 'db.example.internal:5432'],
  ['a path', 'db/orders'],
  ['a backslash', 'db\\orders'],
  ['a space', 'db example'],
  ['leading whitespace', ' db'],
  ['a trailing newline', 'db\n'],
  ['a tab', 'db\tevil'],
  ['a semicolon', 'db;host=evil'],
  ['a quote', "db'evil"],
  ['a percent-encoded dot', 'db%2eevil'],
  ['a comma', 'db,evil'],
  ['an underscore (not RFC 1123)', 'db_primary'],
  ['a label starting with a hyphen', '-db.example'],
  ['a label ending with a hyphen', 'db-.example'],
  ['an empty label', 'db..example'],
  ['a leading dot', '.db'],
  ['a trailing dot', 'db.example.'],
  ['a 64-character label', `${'a'.repeat(64)}.example`],
  ['254 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`],
  ['full-width letters', 'ｄｂ.example'],
  ['an IPv4 octet above 255', '256.1.1.1'],
  ['three IPv4 parts', '10.0.1'],
  ['IPv4 octets with leading zeros', '010.000.001.002'],
  ['a hexadecimal IPv4', '0x7f.0.0.1'],
  ['an all-digit top-level label', '1234'],
  ['a bracketed IPv6 address', '[::1]'],
  ['an IPv6 zone id', 'fe80::1%eth0'],
  ['two IPv6 double colons', '2001:db8::1::2'],
  ['an IPv6 address with a port', '2001:db8::1:5432]'],
];

const VALID: readonly string[] = [
  'db',
  'localhost',
  'orders.abc123xyz.eu-west-1.rds.amazonaws.com',
  'shop.cluster-ro-abc123xyz.eu-west-1.rds.amazonaws.com',
  'DB-1.Example.COM',
  '1db.example',
  'xn--bcher-kva.example',
  `${'a'.repeat(63)}.example`,
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  '127.0.0.1',
  '10.0.12.34',
  '::1',
  '2001:db8::1',
  'fe80::1',
  '::ffff:10.0.0.1',
  '2600:1f18:aaaa:bbbb:cccc:dddd:eeee:ffff',
];

const PARSERS = [
  ['parsePostgresSecret', (host: string) => parsePostgresSecret(secretJson('postgres', host))],
  ['parsePostgresCredentials (master)', (host: string) => parsePostgresCredentials(masterJson(host))],
  ['parseMysqlSecret', (host: string) => parseMysqlSecret(secretJson('mysql', host))],
  ['parseMysqlCredentials (master)', (host: string) => parseMysqlCredentials(masterJson(host))],
] as const;

function secretJson(engine: string, host: string): string {
  return JSON.stringify({ engine, host, port: 5432, username: 'app', password: PASSWORD, dbname: 'orders' });
}

function masterJson(host: string): string {
  return JSON.stringify({ host, username: 'master', password: PASSWORD });
}

describe('Function: isHostOrAddress', () => {
  it.each(HOSTILE)('refuses %s', (_label, host) => {
    expect(isHostOrAddress(host)).toBe(false);
  });

  it.each(VALID)('accepts %s', (host) => {
    expect(isHostOrAddress(host)).toBe(true);
  });

  it('accepts every domain name, IPv4 and IPv6 address fast-check generates', () => {
    fc.assert(
      fc.property(fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()), (host) => isHostOrAddress(host)),
      { numRuns: 2000 },
    );
  });

  it('refuses every string holding a character no host name or address has', () => {
    const outside = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 3 })
      .filter((s) => /[^A-Za-z0-9.:-]/.test(s));
    fc.assert(
      fc.property(fc.domain(), outside, fc.nat(), (domain, bad, at) => {
        const i = at % (domain.length + 1);
        return !isHostOrAddress(`${domain.slice(0, i)}${bad}${domain.slice(i)}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe.each(PARSERS)('Function: %s', (_name, parse) => {
  it.each(HOSTILE)(
    'refuses a host with %s as a SecretFormatError naming host, never the value',
    (_label, host) => {
      const error = formatError(() => parse(host));
      expect(error.field).toBe('host');
      expect(error.message).toMatch(/host name .* or an IP address/);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain(host);
    },
  );

  it.each(VALID)('accepts %s', (host) => {
    expect(parse(host).host).toBe(host);
  });
});

describe('Function: createDatabaseLocator with an endpoint host from RDS', () => {
  let aws: FakeAws;
  const { logger } = recordingLogger();

  beforeEach(() => {
    aws = fakeAws();
  });

  afterEach(() => {
    aws.restore();
  });

  it.each([
    ['an instance', 'dbInstanceIdentifier' as const],
    ['a cluster', 'dbClusterIdentifier' as const],
  ])('refuses %s whose endpoint is not a host name or IP address, naming it', async (_label, field) => {
    aws.instance('orders', 'postgres', 'orders.rds.example?sslmode=disable', 5432);
    aws.cluster('orders', 'aurora-postgresql', {
      writer: 'orders.cluster-x?sslmode=disable',
      reader: 'orders.cluster-ro-x',
      port: 5432,
    });
    const locator = createDatabaseLocator({ family: 'postgres', discovery: aws.discovery });

    const error = await rejectionOf(locator.locate({ [field]: 'orders' }, logger));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(
      /RDS (instance|cluster) "orders" reports endpoint host .* which is not a host name/,
    );
  });
});
