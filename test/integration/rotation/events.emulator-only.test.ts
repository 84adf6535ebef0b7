import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationEventError } from '../../../lambdas/shared/errors';
import { startWorld, type World } from './harness';
import { type MysqlWorld, startMysqlWorld } from './mysql-harness';

/**
 * EMULATOR ONLY: "no AWS call at all" is seen in the emulator's call log, which records every call
 * of every service the handler could make. The typed error itself is tested portably in
 * postgres-rotation.test.ts and mysql-rotation.test.ts.
 */
let postgres: World;
let mysql: MysqlWorld;

beforeAll(async () => {
  [postgres, mysql] = await Promise.all([startWorld(), startMysqlWorld()]);
});

afterAll(async () => {
  await Promise.all([postgres?.close(), mysql?.close()]);
});

const BAD_EVENTS = [
  ['an empty object', {}],
  ['a wrong step', { Step: 'rotateEverything', SecretId: 'x', ClientRequestToken: crypto.randomUUID() }],
  ['a missing token', { Step: 'setSecret', SecretId: 'x' }],
] as const;

describe('Rotation events that are not valid: no AWS call (call log)', () => {
  it.each(BAD_EVENTS)('makes no AWS call for a PostgreSQL event with %s', async (_name, event) => {
    postgres.emulator.resetCalls();

    const error = await postgres
      .handler('single-user')(event)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RotationEventError);
    expect(postgres.emulator.calls).toEqual([]);
  });

  it.each(BAD_EVENTS)('makes no AWS call for a MySQL event with %s', async (_name, event) => {
    mysql.emulator.resetCalls();

    const error = await mysql
      .handler('alternating-users')(event)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RotationEventError);
    expect(mysql.emulator.calls).toEqual([]);
  });
});
