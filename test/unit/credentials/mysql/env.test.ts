import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mysqlOptionsFromEnv } from '../../../../lambdas/credentials/mysql';
import { ConfigurationError } from '../../../../lambdas/shared/errors';

describe('Function: mysqlOptionsFromEnv', () => {
  it.each(['single-user', 'alternating-users', 'dual-password'] as const)(
    'reads mode %s and defaults to verify-full with the bundled CAs',
    (mode) => {
      expect(mysqlOptionsFromEnv({ HANDOVER_MYSQL_MODE: mode })).toEqual({
        mode,
        tls: { mode: 'verify-full' },
        passwordLength: 32,
        connectTimeoutMs: 5000,
        resetUserInUse: false,
      });
    },
  );

  it('reads every variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handover-env-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      expect(
        mysqlOptionsFromEnv({
          HANDOVER_MYSQL_MODE: 'alternating-users',
          HANDOVER_TLS_MODE: 'verify-ca',
          HANDOVER_TLS_CA_FILE: join(dir, 'ca.pem'),
          HANDOVER_PASSWORD_LENGTH: '40',
          HANDOVER_CONNECT_TIMEOUT_MS: '2500',
          HANDOVER_RESET_USER_IN_USE: 'true',
        }),
      ).toEqual({
        mode: 'alternating-users',
        tls: { mode: 'verify-ca', ca: expect.stringContaining('BEGIN CERTIFICATE') },
        passwordLength: 40,
        connectTimeoutMs: 2500,
        resetUserInUse: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{}, 'HANDOVER_MYSQL_MODE'],
    [{ HANDOVER_MYSQL_MODE: 'both' }, 'HANDOVER_MYSQL_MODE'],
    [{ HANDOVER_MYSQL_MODE: 'single-user', HANDOVER_TLS_MODE: 'prefer' }, 'HANDOVER_TLS_MODE'],
    [
      { HANDOVER_MYSQL_MODE: 'single-user', HANDOVER_TLS_CA_FILE: '/nonexistent/ca.pem' },
      'HANDOVER_TLS_CA_FILE',
    ],
    [{ HANDOVER_MYSQL_MODE: 'single-user', HANDOVER_PASSWORD_LENGTH: '8' }, 'HANDOVER_PASSWORD_LENGTH'],
    [
      { HANDOVER_MYSQL_MODE: 'single-user', HANDOVER_CONNECT_TIMEOUT_MS: 'soon' },
      'HANDOVER_CONNECT_TIMEOUT_MS',
    ],
  ])('rejects %j naming %s', (env, variable) => {
    try {
      mysqlOptionsFromEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).variable).toBe(variable);
      return;
    }
    throw new Error('expected a ConfigurationError');
  });
});
