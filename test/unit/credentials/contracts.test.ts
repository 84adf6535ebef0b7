/**
 * The one mapping between a credential type's settings and its Lambda environment: what the CDK
 * constructs write (`toEnv`) is what the Lambda reads (`fromEnv`), for every type, by construction
 * rather than by a test that keeps two copies in step.
 */
import { describe, expect, it } from 'vitest';
import { ROTATION_TYPES } from '../../../infra/constructs/credential-types';
import {
  type CredentialContract,
  fromEnv,
  settingsSchema,
  toEnv,
} from '../../../lambdas/credentials/contract';
import { CREDENTIAL_TYPES } from '../../../lambdas/rotation/constants';
import { ConfigurationError } from '../../../lambdas/shared/errors';

/** Every setting of every type given, with a value other than its default. */
const GIVEN = {
  postgres: {
    strategy: 'alternating-users',
    tlsMode: 'verify-ca',
    passwordLength: 40,
    connectTimeoutMs: 2000,
  },
  mysql: { strategy: 'dual-password', tlsMode: 'require', passwordLength: 20, connectTimeoutMs: 9000 },
  'iam-access-key': { strategy: 'access-key', testTimeoutMs: 10_000, activePreviousKey: 'delete' },
  'api-key': {
    strategy: 'provider-key',
    providerBaseUrls: { sendgrid: 'https://api.eu.sendgrid.com', twilio: 'https://api.twilio.example' },
    httpServices: { acme: { baseUrl: 'https://acme.example' } },
    requestTimeoutMs: 5000,
  },
  'shared-key': { strategy: 'verifier', metricsNamespace: 'Verifiers', requireVerifierHeartbeat: false },
} as const;

const contractOf = (type: (typeof CREDENTIAL_TYPES)[number]) =>
  ROTATION_TYPES[type].contract as unknown as CredentialContract;

describe('Contract: credential types', () => {
  it.each(CREDENTIAL_TYPES)('%s: the Lambda reads back every setting the constructs write', (type) => {
    // GIVEN
    const contract = contractOf(type);
    const given = GIVEN[type];
    expect(settingsSchema(contract).safeParse(given).success).toBe(true);

    // WHEN
    const env = toEnv(contract, given);

    // THEN
    expect(fromEnv(contract, env)).toMatchObject(given);
  });

  it.each(CREDENTIAL_TYPES)('%s: with no setting given, the Lambda runs with the defaults', (type) => {
    // GIVEN
    const contract = contractOf(type);

    // WHEN
    const read = fromEnv(contract, toEnv(contract, {}));

    // THEN
    for (const [field, schema] of Object.entries({ ...contract.settings, ...contract.tuning })) {
      const fallback = (schema as { defaultValue?: unknown }).defaultValue;
      if (fallback !== undefined) expect(read[field as keyof typeof read], field).toEqual(fallback);
    }
    expect((read as { strategy?: unknown }).strategy).toBe(contract.strategies[0]);
  });

  it.each(CREDENTIAL_TYPES)('%s: every setting has a variable, and every variable a setting', (type) => {
    const contract = contractOf(type);
    const fields = Object.keys({ ...contract.settings, ...contract.tuning });
    const variables = Object.keys(contract.env);
    // Only a strategy with a single value may stay out of the environment.
    expect(fields.filter((field) => !variables.includes(field))).toEqual(
      contract.strategies.length > 1 ? [] : ['strategy'],
    );
    expect(variables.filter((variable) => !fields.includes(variable))).toEqual([]);
  });

  it('fails fast naming the variable that breaks its setting', () => {
    expect(() =>
      fromEnv(contractOf('postgres'), { HANDOVER_POSTGRES_MODE: 'single-user', HANDOVER_TLS_MODE: 'prefer' }),
    ).toThrow(
      expect.objectContaining({
        constructor: ConfigurationError,
        variable: 'HANDOVER_TLS_MODE',
        message: "HANDOVER_TLS_MODE must be one of disable, require, verify-ca, verify-full, got 'prefer'",
      }),
    );
    expect(() => fromEnv(contractOf('mysql'), {})).toThrow(
      expect.objectContaining({
        variable: 'HANDOVER_MYSQL_MODE',
        message: 'environment variable HANDOVER_MYSQL_MODE is required',
      }),
    );
  });

  it('refuses a setting the type does not read', () => {
    const result = settingsSchema(contractOf('iam-access-key')).safeParse({ passwordLength: 40 });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', keys: ['passwordLength'] }),
    ]);
  });
});
