import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationEventError, SecretFormatError } from '../../../lambdas/shared/errors';
import { type MysqlWorld, startMysqlWorld } from './mysql-harness';

/**
 * Full rotations: the real SDK over HTTP (endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER), the
 * service's role played by its RotateSecret (the emulator's, or the harness's for another endpoint), the real MySQL rotation Lambda and a real
 * MariaDB server with TLS verify-full.
 */
let world: MysqlWorld;

beforeAll(async () => {
  world = await startMysqlWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('Rotation: MySQL / MariaDB end to end', () => {
  describe.each(['single-user', 'alternating-users'] as const)('%s', (mode) => {
    it('rotates three times: AWSCURRENT always logs in, and the previous credential behaves as the strategy promises', async () => {
      const app = await world.createApp(mode);
      const seen = new Set([app.password]);

      for (let i = 0; i < 3; i++) {
        const outcome = await world.rotate(mode, app.arn);

        expect(outcome.status).toBe('succeeded');
        const stages = await world.stages(app.arn);
        expect(stages[outcome.versionId]).toEqual(['AWSCURRENT']);
        expect(Object.values(stages).flat()).not.toContain('AWSPENDING');
        const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
        const previous = await world.value(app.arn, { VersionStage: 'AWSPREVIOUS' });
        expect(seen.has(current.password)).toBe(false);
        seen.add(current.password);
        expect(current.password).toMatch(/^[A-Za-z0-9._~-]{32}$/);
        // A consumer with the new value logs in over TLS and reads its table (grants included).
        expect(await world.logsIn(current.username, current.password)).toBe(true);
        if (mode === 'alternating-users') {
          expect(current.username).toBe(i % 2 === 0 ? `${app.username}_clone` : app.username);
          // A consumer still holding the previous value keeps working until revoke.
          expect(await world.logsIn(previous.username, previous.password)).toBe(true);
        } else {
          expect(current.username).toBe(app.username);
          expect(await world.logsIn(previous.username, previous.password)).toBe(false);
        }
        // Fields Handover does not own survive every rotation.
        expect(current).toMatchObject({
          engine: 'mariadb',
          host: 'localhost',
          dbname: 'app',
          proxy: 'kept-as-is',
        });
      }
    });

    it('completes a rotation that failed, when RotateSecret resumes it with the same token', async () => {
      const app = await world.createApp(mode);
      // Someone changes the password behind Secrets Manager's back: setSecret cannot log in.
      await world.database.query('ALTER USER ?@? IDENTIFIED BY ?', [
        app.username,
        '%',
        `${app.password}-drifted`,
      ]);

      const failed = await world.rotate(mode, app.arn);

      expect(failed.status).toBe('failed');
      expect(failed.steps.filter((s) => s.step === 'setSecret' && s.outcome === 'failed')).toHaveLength(3);
      expect(failed.error).not.toContain(app.password);
      expect((await world.stages(app.arn))[failed.versionId]).toEqual(['AWSPENDING']);
      expect((await world.value(app.arn, { VersionStage: 'AWSCURRENT' })).password).toBe(app.password);

      // The operator fixes the drift; the next attempt resumes the same pending version.
      await world.database.query('ALTER USER ?@? IDENTIFIED BY ?', [app.username, '%', app.password]);
      const resumed = await world.rotate(mode, app.arn, failed.versionId);

      expect(resumed.status).toBe('succeeded');
      expect(resumed.versionId).toBe(failed.versionId);
      const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
      expect(await world.logsIn(current.username, current.password)).toBe(true);
    });
  });

  describe('dual-password', () => {
    it('fails on MariaDB with an error naming the mode and the server, and AWSCURRENT keeps working', async () => {
      const app = await world.createApp('dual-password');

      const outcome = await world.rotate('dual-password', app.arn);

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(
        /dual-password mode needs MySQL 8\.0\.14 or later.*the server is MariaDB/,
      );
      expect((await world.value(app.arn, { VersionStage: 'AWSCURRENT' })).password).toBe(app.password);
      expect(await world.logsIn(app.username, app.password)).toBe(true);
    });
  });

  describe('bad input: a clear error and nothing changed', () => {
    it.each([
      ['malformed JSON', '{"engine":"mariadb","username":"app","password":"Initial-oops', '$'],
      ['a missing password', undefined, 'password'],
      ['a missing host', undefined, 'host'],
      ['a port that is not a number', undefined, 'port'],
      ['an engine that is not MySQL', undefined, 'engine'],
    ])('fails the rotation of a secret with %s, naming the field', async (_name, raw, field) => {
      const overrides =
        field === 'password'
          ? { password: undefined }
          : field === 'host'
            ? { host: undefined }
            : field === 'port'
              ? { port: 'three-three-o-six' }
              : field === 'engine'
                ? { engine: 'postgres' }
                : {};
      const app = await world.createApp('single-user', overrides, raw);
      const before = await world.stages(app.arn);

      const outcome = await world.rotate('single-user', app.arn);

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('SecretFormatError');
      expect(outcome.error).not.toContain(app.password);
      const error = await world
        .handler('single-user')({
          Step: 'createSecret',
          SecretId: app.arn,
          ClientRequestToken: outcome.versionId,
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretFormatError);
      expect((error as SecretFormatError).field).toBe(field);
      const after = await world.stages(app.arn);
      expect(after[outcome.versionId]).toEqual(['AWSPENDING']);
      expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 1);
      expect(await world.logsIn(app.username, app.password)).toBe(true);
    });

    it.each([
      ["a'; DROP USER victim_x; --", 'alternating-users'],
      ["victim_x'@'%", 'single-user'],
      ['a`b', 'alternating-users'],
    ] as const)('refuses the hostile username %j before touching the database', async (username, mode) => {
      await world.database.query("CREATE USER IF NOT EXISTS 'victim_x'@'%'");
      const app = await world.createApp(mode, { username });
      const usersBefore = await world.database.query('SELECT User, Host FROM mysql.user ORDER BY User, Host');

      const outcome = await world.rotate(mode, app.arn);

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/SecretFormatError.*username/);
      expect(await world.database.query('SELECT User, Host FROM mysql.user ORDER BY User, Host')).toEqual(
        usersBefore,
      );
    });

    it.each([
      ['an empty object', {}, '$'],
      [
        'a wrong step',
        { Step: 'rotateEverything', SecretId: 'x', ClientRequestToken: crypto.randomUUID() },
        'Step',
      ],
      ['a missing token', { Step: 'setSecret', SecretId: 'x' }, 'ClientRequestToken'],
    ])('rejects an event with %s, naming the field', async (_name, event, field) => {
      const error = await world
        .handler('alternating-users')(event)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RotationEventError);
      expect([field, 'Step']).toContain((error as RotationEventError).field);
    });
  });

  describe('observability', () => {
    it('writes log lines and EMF metrics with credential_type mysql, and no secret', async () => {
      const app = await world.createApp('alternating-users');
      const lines: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        lines.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof process.stdout.write;
      let outcome: Awaited<ReturnType<MysqlWorld['rotate']>>;
      try {
        outcome = await world.rotate('alternating-users', app.arn);
      } finally {
        process.stdout.write = write;
      }
      expect(outcome.status).toBe('succeeded');

      const records = lines
        .flatMap((chunk) => chunk.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const stepLogs = records.filter((r) => r.duration_ms !== undefined && r.secret_id === app.arn);
      expect(stepLogs.map((r) => r.step)).toEqual([
        'createSecret',
        'setSecret',
        'testSecret',
        'finishSecret',
      ]);
      for (const r of stepLogs) {
        expect(r).toMatchObject({
          rotation_id: outcome.versionId,
          credential_type: 'mysql',
          strategy: 'alternating-users',
          outcome: 'success',
        });
      }
      const synced = records.find((r) => r.message === 'pending user set and grants synchronised');
      expect(synced).toMatchObject({
        username: `${app.username}_clone`,
        outcome: 'created',
        server: 'mariadb',
      });
      const emf = records.filter((r) => r._aws !== undefined);
      expect(emf.length).toBeGreaterThan(0);
      expect(emf.every((r) => r.credential_type === 'mysql')).toBe(true);

      const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
      const text = lines.join('');
      expect(text).not.toContain(current.password);
      expect(text).not.toContain(app.password);
      expect(text).not.toContain(world.masterUser.password);
    });
  });
});
