import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../../lambdas/credentials/postgres/sql';
import { RotationEventError, SecretFormatError } from '../../../lambdas/shared/errors';
import { startWorld, type World } from './harness';

/**
 * Full rotations: the real SDK over HTTP (endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER), the
 * service's role played by its RotateSecret (the emulator's, or the harness's for another endpoint), the real Lambda handler and a real
 * PostgreSQL server with TLS verify-full.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('Rotation: PostgreSQL end to end', () => {
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
        expect(await world.logsIn(current.username, current.password)).toBe(true);
        if (mode === 'alternating-users') {
          expect(current.username).toBe(i % 2 === 0 ? `${app.username}_clone` : app.username);
          expect(await world.logsIn(previous.username, previous.password)).toBe(true);
        } else {
          expect(current.username).toBe(app.username);
          expect(await world.logsIn(previous.username, previous.password)).toBe(false);
        }
        // Fields Handover does not own survive every rotation.
        expect(current).toMatchObject({ engine: 'postgres', host: 'localhost', dbname: 'postgres' });
      }
    });

    it('completes a rotation that failed, when RotateSecret resumes it with the same token', async () => {
      const app = await world.createApp(mode);
      // Someone changes the password behind Secrets Manager's back: setSecret cannot log in.
      await world.database.query(
        `ALTER ROLE ${quoteIdent(app.username)} PASSWORD ${quoteLiteral(`${app.password}-drifted`)}`,
      );

      const failed = await world.rotate(mode, app.arn);

      expect(failed.status).toBe('failed');
      expect(failed.steps.filter((s) => s.step === 'setSecret' && s.outcome === 'failed')).toHaveLength(3);
      expect(failed.error).not.toContain(app.password);
      expect((await world.stages(app.arn))[failed.versionId]).toEqual(['AWSPENDING']);
      expect((await world.value(app.arn, { VersionStage: 'AWSCURRENT' })).password).toBe(app.password);

      // The operator fixes the drift; the next attempt resumes the same pending version.
      await world.database.query(
        `ALTER ROLE ${quoteIdent(app.username)} PASSWORD ${quoteLiteral(app.password)}`,
      );
      const resumed = await world.rotate(mode, app.arn, failed.versionId);

      expect(resumed.status).toBe('succeeded');
      expect(resumed.versionId).toBe(failed.versionId);
      const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
      expect(await world.logsIn(current.username, current.password)).toBe(true);
    });
  });

  describe('bad input: a clear error and nothing changed', () => {
    it.each([
      ['malformed JSON', '{"engine":"postgres","username":"app","password":"Initial-oops', '$'],
      ['a missing password', undefined, 'password'],
      ['a missing host', undefined, 'host'],
      ['a port that is not a number', undefined, 'port'],
    ])('fails the rotation of a secret with %s, naming the field', async (_name, raw, field) => {
      const overrides =
        field === 'password'
          ? { password: undefined }
          : field === 'host'
            ? { host: undefined }
            : field === 'port'
              ? { port: 'five-four-three-two' }
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

    it('refuses a hostile username before touching the database', async () => {
      await world.database.query('CREATE ROLE victim_x LOGIN');
      const app = await world.createApp('alternating-users', { username: 'a"; DROP ROLE victim_x; --' });

      const outcome = await world.rotate('alternating-users', app.arn);

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('username');
      const roles = await world.database.query<{ rolname: string }>(
        "SELECT rolname FROM pg_roles WHERE rolname IN ('victim_x', 'a\"; DROP ROLE victim_x; --_clone')",
      );
      expect(roles.map((r) => r.rolname)).toEqual(['victim_x']);
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
        .handler('single-user')(event)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RotationEventError);
      expect([field, 'Step']).toContain((error as RotationEventError).field);
    });
  });

  describe('observability', () => {
    it('writes Powertools JSON log lines and EMF metrics with the contract fields, and no secret', async () => {
      const app = await world.createApp('alternating-users');
      const lines: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        lines.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof process.stdout.write;
      let outcome: Awaited<ReturnType<World['rotate']>>;
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
      // The engine's one line per step carries duration_ms; strategies add lines of their own.
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
          credential_type: 'postgres',
          strategy: 'alternating-users',
          outcome: 'success',
        });
      }
      const emf = records.filter((r) => r._aws !== undefined);
      const metricNames = emf.flatMap((r) => {
        const aws = r._aws as {
          CloudWatchMetrics: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }>;
        };
        return aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => `${m.Namespace}/${x.Name}`));
      });
      expect(metricNames).toContain('HandoverTest/StepSucceeded');
      expect(metricNames).toContain('HandoverTest/RotationSucceeded');
      expect(emf.every((r) => r.credential_type === 'postgres')).toBe(true);

      const pending = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
      const text = lines.join('');
      expect(text).not.toContain(pending.password);
      expect(text).not.toContain(app.password);
      expect(text).not.toContain(world.database.superuser.password);
    });
  });
});
