import { describe, expect, it } from 'vitest';
import { assertSameDatabase } from '../../../../lambdas/credentials/database/location';
import { parseMysqlSecret, serializeMysqlSecret } from '../../../../lambdas/credentials/mysql/schema';
import {
  parsePostgresSecret,
  serializePostgresSecret,
} from '../../../../lambdas/credentials/postgres/schema';
import { formatError } from './fakes';

const PASSWORD = 'S3cret-Passw0rd_that.must~never.leak';

const engines = [
  {
    name: 'postgres',
    parse: parsePostgresSecret,
    withPassword: (json: string, password: string) =>
      serializePostgresSecret({ ...parsePostgresSecret(json), password }),
  },
  {
    name: 'mysql',
    parse: parseMysqlSecret,
    withPassword: (json: string, password: string) =>
      serializeMysqlSecret({ ...parseMysqlSecret(json), password }),
  },
];

describe.each(engines)(
  'Schema: $name secrets that name an RDS instance or cluster',
  ({ parse, withPassword }) => {
    it.each([
      ['dbInstanceIdentifier', { dbInstanceIdentifier: 'orders' }],
      ['dbClusterIdentifier', { dbClusterIdentifier: 'shop' }],
    ])('accepts a secret with %s and no host, port or engine', (_field, names) => {
      const secret = parse(JSON.stringify({ username: 'app', password: PASSWORD, ...names }));

      expect(secret.host).toBeUndefined();
      expect(secret.port).toBeUndefined();
      expect(secret.engine).toBeUndefined();
      expect(secret).toMatchObject(names);
    });

    it('serialises such a secret as written: no discovered host or port is added', () => {
      const written = {
        username: 'app',
        password: PASSWORD,
        dbInstanceIdentifier: 'orders',
        team: 'payments',
      };

      const out = JSON.parse(withPassword(JSON.stringify(written), 'New-Passw0rd-0000000000000000000'));

      expect(Object.keys(out).sort()).toEqual(['dbInstanceIdentifier', 'password', 'team', 'username']);
    });

    it.each([
      [
        'no host and no RDS names',
        { port: 5432 },
        'host',
        /"host" is required unless the secret names an RDS instance or cluster/,
      ],
      ['an empty dbInstanceIdentifier', { dbInstanceIdentifier: '' }, 'dbInstanceIdentifier', /non-empty/],
      ['an empty dbClusterIdentifier', { dbClusterIdentifier: '' }, 'dbClusterIdentifier', /non-empty/],
      ['a numeric dbInstanceIdentifier', { dbInstanceIdentifier: 7 }, 'dbInstanceIdentifier', /string/],
      ['an empty host next to RDS names', { host: '', dbInstanceIdentifier: 'orders' }, 'host', /non-empty/],
    ])('refuses %s, naming the field and never the value', (_name, fields, field, message) => {
      const error = formatError(() =>
        parse(JSON.stringify({ username: 'app', password: PASSWORD, ...fields })),
      );

      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(PASSWORD);
    });
  },
);

describe('Schema: port rules per engine', () => {
  it('requires a PostgreSQL port unless RDS names the database', () => {
    const error = formatError(() =>
      parsePostgresSecret(JSON.stringify({ host: 'db', username: 'app', password: PASSWORD })),
    );

    expect(error.field).toBe('port');
    expect(error.message).toMatch(/"port" is required unless the secret names an RDS instance or cluster/);
    expect(
      parsePostgresSecret(
        JSON.stringify({ host: 'db', username: 'app', password: PASSWORD, dbInstanceIdentifier: 'orders' }),
      ).port,
    ).toBeUndefined();
  });

  it('defaults the MySQL port to 3306 when the secret has a host, and leaves it to RDS when it has not', () => {
    const withHost = parseMysqlSecret(
      JSON.stringify({ host: 'db', username: 'app', password: PASSWORD, dbInstanceIdentifier: 'orders' }),
    );
    const withoutHost = parseMysqlSecret(
      JSON.stringify({ username: 'app', password: PASSWORD, dbInstanceIdentifier: 'orders' }),
    );

    expect(withHost.port).toBe(3306);
    expect(withoutHost.port).toBeUndefined();
    expect(JSON.parse(serializeMysqlSecret(withHost))).not.toHaveProperty('port');
  });
});

describe('Function: assertSameDatabase with RDS names', () => {
  it.each(['dbInstanceIdentifier', 'dbClusterIdentifier'])(
    'refuses a pending value with another %s',
    (field) => {
      const current = { dbname: 'orders', [field]: 'orders' };
      const pending = { dbname: 'orders', [field]: 'elsewhere' };

      const error = formatError(() => assertSameDatabase(pending, current));

      expect(error.field).toBe(field);
    },
  );

  it('accepts pending and current that both leave the host to RDS', () => {
    expect(() =>
      assertSameDatabase({ dbInstanceIdentifier: 'orders' }, { dbInstanceIdentifier: 'orders' }),
    ).not.toThrow();
  });
});
