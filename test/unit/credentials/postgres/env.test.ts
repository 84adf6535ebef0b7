import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresOptionsFromEnv } from '../../../../lambdas/credentials/postgres';
import { ConfigurationError } from '../../../../lambdas/shared/errors';

describe('Function: postgresOptionsFromEnv', () => {
  it('reads the mode and defaults to verify-full with the bundled CAs', () => {
    expect(postgresOptionsFromEnv({ HANDOVER_POSTGRES_MODE: 'alternating-users' })).toEqual({
      mode: 'alternating-users',
      tls: { mode: 'verify-full' },
      passwordLength: 32,
      connectTimeoutMs: 5000,
      resetUserInUse: false,
    });
  });

  it('reads HANDOVER_RESET_USER_IN_USE', () => {
    expect(
      postgresOptionsFromEnv({
        HANDOVER_POSTGRES_MODE: 'alternating-users',
        HANDOVER_RESET_USER_IN_USE: 'true',
      }).resetUserInUse,
    ).toBe(true);
  });

  it('reads a CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handover-env-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      const options = postgresOptionsFromEnv({
        HANDOVER_POSTGRES_MODE: 'single-user',
        HANDOVER_TLS_MODE: 'verify-ca',
        HANDOVER_TLS_CA_FILE: join(dir, 'ca.pem'),
      });
      expect(options.tls).toEqual({ mode: 'verify-ca', ca: expect.stringContaining('BEGIN CERTIFICATE') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{}, 'HANDOVER_POSTGRES_MODE'],
    [{ HANDOVER_POSTGRES_MODE: 'both' }, 'HANDOVER_POSTGRES_MODE'],
    [{ HANDOVER_POSTGRES_MODE: 'single-user', HANDOVER_TLS_MODE: 'prefer' }, 'HANDOVER_TLS_MODE'],
    [
      { HANDOVER_POSTGRES_MODE: 'single-user', HANDOVER_TLS_CA_FILE: '/nonexistent/ca.pem' },
      'HANDOVER_TLS_CA_FILE',
    ],
    [{ HANDOVER_POSTGRES_MODE: 'single-user', HANDOVER_PASSWORD_LENGTH: '8' }, 'HANDOVER_PASSWORD_LENGTH'],
    [
      { HANDOVER_POSTGRES_MODE: 'alternating-users', HANDOVER_RESET_USER_IN_USE: 'yes' },
      'HANDOVER_RESET_USER_IN_USE',
    ],
  ])('rejects %j naming %s', (env, variable) => {
    try {
      postgresOptionsFromEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).variable).toBe(variable);
      return;
    }
    throw new Error('expected a ConfigurationError');
  });
});
