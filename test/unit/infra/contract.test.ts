import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_PROVIDERS,
  DATABASE_TLS_MODES,
  ENGINE_METRIC,
  METRICS_NAMESPACE as INFRA_NAMESPACE,
  SERVICE_NAME as INFRA_SERVICE_NAME,
  MYSQL_STRATEGIES,
  POSTGRES_STRATEGIES,
  ROTATION_TYPES,
} from '../../../infra/constructs';
import { IAM_ACTIVE_PREVIOUS_KEY } from '../../../infra/constructs/credential-types';
import { API_KEY_ENV } from '../../../lambdas/credentials/api-key/env';
import { PROVIDER_IDS } from '../../../lambdas/credentials/api-key/provider';
import { TLS_MODES } from '../../../lambdas/credentials/database/tls';
import { IAM_ACCESS_KEY_ENV } from '../../../lambdas/credentials/iam-access-key/env';
import { ACTIVE_PREVIOUS_KEY_POLICIES } from '../../../lambdas/credentials/iam-access-key/options';
import { MYSQL_ENV } from '../../../lambdas/credentials/mysql/env';
import { MYSQL_MODES } from '../../../lambdas/credentials/mysql/options';
import { POSTGRES_ENV } from '../../../lambdas/credentials/postgres/env';
import { POSTGRES_MODES } from '../../../lambdas/credentials/postgres/options';
import { SHARED_KEY_ENV } from '../../../lambdas/credentials/shared-key/env';
import { CREDENTIAL_TYPES } from '../../../lambdas/rotation/constants';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../../lambdas/shared/observability';

/** Every environment variable a spec can produce, with settings that set all of them. */
const FULL_SETTINGS = {
  strategy: undefined,
  tlsMode: 'verify-ca',
  passwordLength: 40,
  connectTimeoutMs: 2000,
  testTimeoutMs: 10_000,
  activePreviousKey: 'delete',
  providerBaseUrls: { sendgrid: 'https://api.eu.sendgrid.com', twilio: 'https://api.twilio.com' },
  httpServices: { svc: {} },
  requestTimeoutMs: 5000,
  metricsNamespace: 'Verifiers',
  requireVerifierHeartbeat: false,
} as const;

describe('Contract: infra and lambdas', () => {
  it('has one spec per credential type, each pointing at a handler that exports handler', () => {
    expect(Object.keys(ROTATION_TYPES).sort()).toEqual([...CREDENTIAL_TYPES].sort());
    for (const type of CREDENTIAL_TYPES) {
      const entry = ROTATION_TYPES[type].entry;
      expect(entry.endsWith(`lambdas/credentials/${type}/handler.ts`)).toBe(true);
      expect(existsSync(entry), entry).toBe(true);
      expect(readFileSync(entry, 'utf8')).toMatch(/export const handler = /);
    }
  });

  it('alarms on the metric names, namespace and service dimension the engine emits', () => {
    expect(INFRA_NAMESPACE).toBe(METRICS_NAMESPACE);
    expect(INFRA_SERVICE_NAME).toBe(SERVICE_NAME);
    expect(ENGINE_METRIC.rotationFailed).toBe(METRIC.rotationFailed);
    expect(ENGINE_METRIC.rotationSucceeded).toBe(METRIC.rotationSucceeded);
  });

  it('offers exactly the strategies, TLS modes, providers and policies the Lambdas accept', () => {
    expect(POSTGRES_STRATEGIES).toEqual(POSTGRES_MODES);
    expect(MYSQL_STRATEGIES).toEqual(MYSQL_MODES);
    expect(DATABASE_TLS_MODES).toEqual(TLS_MODES);
    expect(API_KEY_PROVIDERS).toEqual(PROVIDER_IDS);
    expect(IAM_ACTIVE_PREVIOUS_KEY).toEqual(ACTIVE_PREVIOUS_KEY_POLICIES);
  });

  it.each([
    ['postgres', Object.values(POSTGRES_ENV).filter((name) => name !== POSTGRES_ENV.tlsCaFile)],
    ['mysql', Object.values(MYSQL_ENV).filter((name) => name !== MYSQL_ENV.tlsCaFile)],
    ['iam-access-key', Object.values(IAM_ACCESS_KEY_ENV)],
    [
      'api-key',
      [
        API_KEY_ENV.sendgridBaseUrl,
        API_KEY_ENV.twilioBaseUrl,
        API_KEY_ENV.httpServices,
        API_KEY_ENV.requestTimeoutMs,
      ],
    ],
    ['shared-key', Object.values(SHARED_KEY_ENV)],
  ] as const)('sets only environment variables the %s Lambda reads', (type, variables) => {
    // WHEN
    const environment = ROTATION_TYPES[type].environment({
      ...FULL_SETTINGS,
      strategy: ROTATION_TYPES[type].defaultStrategy,
    });

    // THEN
    expect(Object.keys(environment).sort()).toEqual([...variables].sort());
  });

  it('sets the strategy variable the database Lambdas require', () => {
    expect(ROTATION_TYPES.postgres.environment({ strategy: 'alternating-users' })).toMatchObject({
      [POSTGRES_ENV.mode]: 'alternating-users',
    });
    expect(ROTATION_TYPES.mysql.environment({ strategy: 'dual-password' })).toMatchObject({
      [MYSQL_ENV.mode]: 'dual-password',
    });
  });
});
