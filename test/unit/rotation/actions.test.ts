import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStrategyAction, runStrategyAction } from '../../../lambdas/rotation/actions';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import type { CredentialStrategy } from '../../../lambdas/rotation/strategy';
import { RotationEventError, RotationStateError } from '../../../lambdas/shared/errors';
import type { StructuredLogger } from '../../../lambdas/shared/observability';
import { SecretsManagerService } from '../../../local/emulator';
import { createKeyringStrategy, Keyring, type KeyringSecret } from '../../support/fake-strategy';
import { inProcessSecretsClient } from '../../support/in-process-secrets';

function setup(overrides: Partial<CredentialStrategy<KeyringSecret>> = {}) {
  const service = new SecretsManagerService();
  const keyring = new Keyring();
  const { ARN: arn, VersionId: versionId } = service.invoke('CreateSecret', {
    Name: `actions-${randomUUID()}`,
    SecretString: JSON.stringify({ username: 'app', password: 'old-password-0001' }),
  }) as { ARN: string; VersionId: string };
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  const logger: StructuredLogger = { debug: record, info: record, warn: record, error: record };
  const calls: string[] = [];
  const strategy: CredentialStrategy<KeyringSecret> = {
    ...createKeyringStrategy(keyring),
    async inUse(old, since) {
      calls.push(`inUse:${old.username}:${since.toISOString()}`);
      return {
        inUse: true,
        evidence: '2 sessions of app',
        lastUsed: new Date('2026-11-21T10:00:00Z'),
        stragglers: [
          {
            identity: 'app (application billing-report)',
            from: '10.0.1.7',
            lastSeen: new Date('2026-11-21T09:59:00Z'),
            evidence: '2 sessions in pg_stat_activity',
          },
        ],
      };
    },
    async revoke(old) {
      calls.push(`revoke:${old.username}`);
    },
    ...overrides,
  };
  const run = (event: unknown) =>
    runStrategyAction(event, {
      strategy,
      secrets: createSecretsManagerPort(inProcessSecretsClient(service)),
      logger,
    });
  return { arn, versionId, run, calls, lines };
}

describe('Function: runStrategyAction', () => {
  it('tells a strategy action from a rotation step', () => {
    expect(isStrategyAction({ Action: 'inUse', SecretId: 'x' })).toBe(true);
    expect(isStrategyAction({ Step: 'createSecret', SecretId: 'x' })).toBe(false);
    expect(isStrategyAction(null)).toBe(false);
  });

  it('describes what the strategy can do, without reading any secret', async () => {
    const s = setup();
    await expect(s.run({ Action: 'describe', SecretId: s.arn })).resolves.toEqual({
      action: 'describe',
      credentialType: 'postgres',
      variant: 'fake-alternating',
      previousStaysValid: true,
      canCheckUsage: true,
      canRevoke: true,
      canRestore: false,
    });
  });

  it('asks the strategy whether the version is in use since the given instant', async () => {
    const s = setup();
    const result = await s.run({
      Action: 'inUse',
      SecretId: s.arn,
      VersionId: s.versionId,
      Since: '2026-11-20T00:00:00.000Z',
    });

    expect(result).toEqual({
      action: 'inUse',
      inUse: true,
      observable: true,
      evidence: '2 sessions of app',
      lastUsed: '2026-11-21T10:00:00.000Z',
      // Who, as JSON the workflow carries: identities and times, never a secret.
      stragglers: [
        {
          identity: 'app (application billing-report)',
          from: '10.0.1.7',
          lastSeen: '2026-11-21T09:59:00.000Z',
          evidence: '2 sessions in pg_stat_activity',
        },
      ],
      stragglersOmitted: 0,
    });
    expect(s.calls).toEqual(['inUse:app:2026-11-20T00:00:00.000Z']);
    expect(s.lines.at(-1)).toContain('"stragglers":["app (application billing-report)"]');
  });

  it('reports usage as not observable when the strategy cannot check it', async () => {
    const s = setup({ inUse: undefined });
    const result = await s.run({ Action: 'inUse', SecretId: s.arn, VersionId: s.versionId });
    expect(result).toMatchObject({ action: 'inUse', inUse: false, observable: false });
  });

  it('revokes through the strategy, and says so when the strategy cannot restore', async () => {
    const s = setup();
    await expect(s.run({ Action: 'revoke', SecretId: s.arn, VersionId: s.versionId })).resolves.toEqual({
      action: 'revoke',
      done: true,
      reason: '',
    });
    await expect(
      s.run({ Action: 'restore', SecretId: s.arn, VersionId: s.versionId }),
    ).resolves.toMatchObject({
      action: 'restore',
      done: false,
    });
    expect(s.calls).toEqual(['revoke:app']);
  });

  it('reports a revocation only a person can do as not done, with the step to take', async () => {
    const s = setup({
      async revoke() {
        return { done: false, reason: 'reminder: delete key app in the dashboard' };
      },
    });
    await expect(s.run({ Action: 'revoke', SecretId: s.arn, VersionId: s.versionId })).resolves.toEqual({
      action: 'revoke',
      done: false,
      reason: 'reminder: delete key app in the dashboard',
    });
  });

  it.each([
    ['an unknown action', { Action: 'drop', SecretId: 'x' }, 'Action'],
    ['a missing secret id', { Action: 'inUse', VersionId: randomUUID() }, 'SecretId'],
    ['a bad Since', { Action: 'inUse', SecretId: 'x', VersionId: randomUUID(), Since: 'yesterday' }, 'Since'],
    ['no version for inUse', { Action: 'inUse', SecretId: 'x' }, 'VersionId'],
  ])('rejects %s with a RotationEventError naming the field', async (_name, event, field) => {
    const s = setup();
    const error = await s.run(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationEventError);
    expect((error as RotationEventError).field).toBe(field);
    expect(s.calls).toEqual([]);
  });

  it('fails clearly for a version that does not exist', async () => {
    const s = setup();
    await expect(s.run({ Action: 'revoke', SecretId: s.arn, VersionId: randomUUID() })).rejects.toThrow(
      RotationStateError,
    );
  });

  it('redacts the credential from a strategy error before throwing and logging it', async () => {
    const s = setup({
      async revoke(old) {
        throw new Error(`driver echoed ${old.password}`);
      },
    });
    const error = (await s
      .run({ Action: 'revoke', SecretId: s.arn, VersionId: s.versionId })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('driver echoed [REDACTED]');
    expect(s.lines.join('\n')).not.toContain('old-password-0001');
    expect(s.lines.join('\n')).toContain('revoke failed');
  });
});
