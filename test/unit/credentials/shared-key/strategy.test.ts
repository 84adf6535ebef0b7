import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createSharedKeyStrategy,
  parseSharedKeySecret,
  RESTORE_SEARCH_LIMIT,
  type SharedKeySecret,
  usagePeriodSeconds,
} from '../../../../lambdas/credentials/shared-key';
import { STAGE } from '../../../../lambdas/rotation/constants';
import { createRotationHandler } from '../../../../lambdas/rotation/engine';
import { createSecretsManagerPort } from '../../../../lambdas/rotation/secrets-port';
import { noPrevious } from '../../../../lambdas/rotation/strategy';
import {
  CredentialTestError,
  HandoverError,
  SecretFormatError,
  TargetError,
} from '../../../../lambdas/shared/errors';
import type { RotationMetrics, StructuredLogger } from '../../../../lambdas/shared/observability';
import {
  createCloudWatchMetricsSink,
  generateSharedKey,
  type VerifierMetricsSnapshot,
} from '../../../../lambdas/verifier';
import { SecretsManagerService } from '../../../../local/emulator';
import { type FaultTiming, inProcessSecretsClient } from '../../../support/in-process-secrets';
import { recordSecretMaterial } from '../../../support/log-scan';
import { fakeContext, inProcessCloudWatch } from './fakes';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-shared-key';
const NOW = new Date('2026-11-21T10:00:00.000Z');

function keyJson(extra: Record<string, unknown> = {}) {
  const key = generateSharedKey();
  recordSecretMaterial(key, key.slice(16));
  return { key, json: JSON.stringify({ key, keyId: key.slice(3, 15), ...extra }) };
}

async function rejection(promise: Promise<unknown> | undefined): Promise<Error> {
  if (promise === undefined) throw new Error('expected the method to exist');
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A secret in the emulator's model, the real strategy over an in-process client, the real engine. */
function world(initial = keyJson({ owner: 'orders' })) {
  const service = new SecretsManagerService({ rotation: { retries: 2, retryDelayMs: 0 } });
  const client = inProcessSecretsClient(service);
  const cloudWatch = inProcessCloudWatch();
  const strategy = createSharedKeyStrategy({
    cloudWatch: cloudWatch.client,
    now: () => NOW,
  });
  const name = `app/api-key-${randomUUID().slice(0, 8)}`;
  const { ARN: arn } = service.invoke('CreateSecret', { Name: name, SecretString: initial.json }) as {
    ARN: string;
  };
  service.configureRotation(arn, LAMBDA);
  const logs: string[] = [];
  const logger: StructuredLogger = {
    debug: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
    info: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
    warn: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
    error: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
  };
  const metrics: RotationMetrics = { recordStep: () => undefined, recordRotation: () => undefined };
  service.registerRotationLambda(
    LAMBDA,
    createRotationHandler({ strategy, secrets: createSecretsManagerPort(client), logger, metrics }),
  );
  const value = (selector: Record<string, string>): SharedKeySecret =>
    parseSharedKeySecret(
      (service.invoke('GetSecretValue', { SecretId: arn, ...selector }) as { SecretString: string })
        .SecretString,
    );
  const stages = () =>
    (service.invoke('DescribeSecret', { SecretId: arn }) as { VersionIdsToStages: Record<string, string[]> })
      .VersionIdsToStages;
  const holder = (stage: string) => Object.entries(stages()).find(([, s]) => s.includes(stage))?.[0];
  const rotate = async () => {
    service.invoke('RotateSecret', { SecretId: arn, RotationLambdaARN: LAMBDA });
    const outcome = await service.waitForRotation(arn);
    const current = value({ VersionStage: STAGE.current });
    recordSecretMaterial(current.key, current.key.slice(16));
    return outcome;
  };
  const context = fakeContext(arn, undefined, createSecretsManagerPort(client));
  return {
    service,
    client,
    cloudWatch,
    strategy,
    arn,
    name,
    initial,
    logs,
    value,
    stages,
    holder,
    rotate,
    ...context,
  };
}

describe('Function: createSharedKeyStrategy', () => {
  it('reports every invalid option at once', () => {
    let error: unknown;
    try {
      createSharedKeyStrategy({ metricsNamespace: 'AWS/Lambda', requireVerifierHeartbeat: 'yes' as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HandoverError);
    expect((error as Error).message).toMatch(
      /metricsNamespace must be 1 to 255 characters.*requireVerifierHeartbeat must be a boolean/,
    );
  });

  it('builds no SDK client until inUse, revoke or restore needs one', async () => {
    const strategy = createSharedKeyStrategy({ now: () => NOW });
    const { ctx } = fakeContext('arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf');
    const current = strategy.parse(keyJson().json);
    const pending = await strategy.create(current, ctx);
    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);
    expect(pending.keyId).not.toBe(current.keyId);
  });
});

describe('Method: create', () => {
  it('makes a new full-entropy key, keeps the unknown fields and stamps createdAt', async () => {
    const w = world();
    const current = w.strategy.parse(w.initial.json);
    const pending = await w.strategy.create(current, w.ctx);
    recordSecretMaterial(pending.key);
    expect(pending.key).toMatch(/^hk_[a-z2-7]{12}_[A-Za-z0-9]{43}$/);
    expect(pending.key).not.toBe(current.key);
    expect(JSON.parse(w.strategy.serialize(pending))).toEqual({
      key: pending.key,
      keyId: pending.key.slice(3, 15),
      createdAt: '2026-11-21T10:00:00.000Z',
      owner: 'orders',
    });
    expect(w.strategy.identify(pending)).toBe(pending.keyId);
    expect(w.strategy.secretsOf(pending)).toEqual([pending.key, pending.key.slice(16)]);
  });
});

describe('Method: set', () => {
  it('changes nothing anywhere, logs by key id, and can run any number of times', async () => {
    const w = world();
    const current = w.strategy.parse(w.initial.json);
    const pending = await w.strategy.create(current, w.ctx);
    w.client.calls.length = 0;
    for (let i = 0; i < 3; i++) await w.strategy.set(pending, current, noPrevious, w.ctx);
    expect(w.client.calls).toEqual([]);
    expect(w.lines.map((l) => l.fields)).toEqual(
      Array(3).fill(
        expect.objectContaining({ step: 'setSecret', key_id: pending.keyId, outcome: 'no-target' }),
      ),
    );
    expect(w.text()).not.toContain(pending.key.slice(16));
  });

  it('refuses a pending key equal to the current key', async () => {
    const w = world();
    const current = w.strategy.parse(w.initial.json);
    const error = await rejection(w.strategy.set(current, current, noPrevious, w.ctx));
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(error.message).toContain(current.keyId);
    expect(error.message).not.toContain(current.key.slice(16));
  });
});

describe('Method: test', () => {
  it('passes a generated key', async () => {
    const w = world();
    const pending = await w.strategy.create(w.strategy.parse(w.initial.json), w.ctx);
    await w.strategy.test(pending, w.ctx);
    expect(w.lines.at(-1)?.fields).toMatchObject({
      step: 'testSecret',
      outcome: 'passed',
      key_id: pending.keyId,
    });
  });

  it('fails a well-formed key without full entropy, never echoing it', async () => {
    const w = world();
    const weak = w.strategy.parse(JSON.stringify({ key: `hk_aaaaaaaaaaaa_${'Ab'.repeat(21)}A` }));
    const error = await rejection(w.strategy.test(weak, w.ctx));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/key aaaaaaaaaaaa: the secret part has only 2 distinct characters/);
    expect(error.message).not.toContain('AbAbAb');
  });
});

describe('Rotation through the engine', () => {
  it('rotates: a new key becomes AWSCURRENT, the old one AWSPREVIOUS, unknown fields kept', async () => {
    const w = world();
    const outcome = await w.rotate();
    expect(outcome.status).toBe('succeeded');
    const current = w.value({ VersionStage: STAGE.current });
    const previous = w.value({ VersionStage: STAGE.previous });
    expect(previous.key).toBe(w.initial.key);
    expect(current.key).not.toBe(w.initial.key);
    expect(current.raw).toMatchObject({ owner: 'orders', createdAt: '2026-11-21T10:00:00.000Z' });
    expect(w.logs.join('\n')).not.toContain(current.key.slice(16));
    expect(w.logs.join('\n')).not.toContain(w.initial.key.slice(16));
  });

  it('makes no call beyond the engine’s own: set and test touch nothing', async () => {
    const w = world();
    await w.rotate();
    expect(w.client.calls.filter((c) => c === 'ListSecretVersionIds')).toEqual([]);
    expect(w.client.calls.filter((c) => c === 'UpdateSecretVersionStage')).toHaveLength(2);
  });
});

describe('Method: revoke', () => {
  it('removes AWSPREVIOUS from the old key’s version and logs by key id', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    const previousVersion = w.holder(STAGE.previous);
    await w.strategy.revoke?.(old, w.ctx);
    expect(w.holder(STAGE.previous)).toBeUndefined();
    expect(w.lines.at(-1)?.fields).toMatchObject({
      step: 'revoke',
      outcome: 'revoked',
      key_id: old.keyId,
      version_id: previousVersion,
    });
  });

  it('does nothing when the old key is no longer AWSPREVIOUS', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    await w.strategy.revoke?.(old, w.ctx);
    const before = w.stages();
    await w.strategy.revoke?.(old, w.ctx);
    expect(w.stages()).toEqual(before);
    expect(w.lines.at(-1)?.fields.outcome).toBe('already-revoked');
  });

  it('refuses to revoke the AWSCURRENT key and changes nothing', async () => {
    const w = world();
    await w.rotate();
    const current = w.value({ VersionStage: STAGE.current });
    const before = w.stages();
    const error = await rejection(w.strategy.revoke?.(current, w.ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(/refusing to revoke key .* it is the AWSCURRENT key/);
    expect(w.stages()).toEqual(before);
  });
});

describe('Method: restore', () => {
  it('puts AWSPREVIOUS back on the old key’s version after a revoke', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    const previousVersion = w.holder(STAGE.previous);
    await w.strategy.revoke?.(old, w.ctx);
    await w.strategy.restore?.(old, w.ctx);
    expect(w.holder(STAGE.previous)).toBe(previousVersion);
    expect(w.lines.at(-1)?.fields).toMatchObject({ outcome: 'restored', version_id: previousVersion });
  });

  it('does nothing when the old key is AWSPREVIOUS or AWSCURRENT', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    const before = w.stages();
    await w.strategy.restore?.(old, w.ctx);
    expect(w.lines.at(-1)?.fields.outcome).toBe('already-restored');
    await w.strategy.restore?.(w.value({ VersionStage: STAGE.current }), w.ctx);
    expect(w.lines.at(-1)?.fields.outcome).toBe('already-current');
    expect(w.stages()).toEqual(before);
  });

  it('refuses, changing nothing, when another key holds AWSPREVIOUS', async () => {
    const w = world();
    await w.rotate();
    await w.rotate();
    const oldest = w.strategy.parse(w.initial.json);
    const before = w.stages();
    const error = await rejection(w.strategy.restore?.(oldest, w.ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(
      /AWSPREVIOUS .* is held by version .* would stop that key from being accepted/,
    );
    expect(w.stages()).toEqual(before);
  });

  it('finds the old key among several unlabelled versions', async () => {
    const w = world();
    const firstVersion = w.holder(STAGE.current);
    await w.rotate();
    await w.rotate();
    const second = w.value({ VersionStage: STAGE.previous });
    await w.strategy.revoke?.(second, w.ctx);
    // Both the first and the second version are unlabelled now; restore the first one.
    await w.strategy.restore?.(w.strategy.parse(w.initial.json), w.ctx);
    expect(w.holder(STAGE.previous)).toBe(firstVersion);
  });

  it('refuses when no recent version holds the key', async () => {
    const w = world();
    await w.rotate();
    await w.strategy.revoke?.(w.strategy.parse(w.initial.json), w.ctx);
    const stranger = w.strategy.parse(keyJson().json);
    const error = await rejection(w.strategy.restore?.(stranger, w.ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain(`${RESTORE_SEARCH_LIMIT} newest unlabelled versions`);
    expect(w.holder(STAGE.previous)).toBeUndefined();
  });
});

/** The Secrets Manager calls a clean revoke / restore makes, so each can be failed in turn. */
async function cleanCalls(method: 'revoke' | 'restore'): Promise<string[]> {
  const w = world();
  await w.rotate();
  const old = w.strategy.parse(w.initial.json);
  if (method === 'restore') await w.strategy.revoke?.(old, w.ctx);
  const start = w.client.calls.length;
  await w.strategy[method]?.(old, w.ctx);
  return w.client.calls.slice(start);
}

const faultCases = async (method: 'revoke' | 'restore') =>
  (await cleanCalls(method)).flatMap((operation, index) =>
    (operation === 'UpdateSecretVersionStage' ? (['before', 'after'] as const) : (['before'] as const)).map(
      (timing: FaultTiming) => [method, index, operation, timing] as const,
    ),
  );

const revokeCases = await faultCases('revoke');
const restoreCases = await faultCases('restore');

describe('Re-running revoke and restore after a failure', () => {
  it('fails every call in turn: revoke makes 4 calls, restore reads versions and moves one label', () => {
    expect(revokeCases.map(([, , op, timing]) => `${op}:${timing}`)).toEqual([
      'DescribeSecret:before',
      'GetSecretValue:before',
      'GetSecretValue:before',
      'UpdateSecretVersionStage:before',
      'UpdateSecretVersionStage:after',
    ]);
    expect(restoreCases.map(([, , op]) => op)).toContain('ListSecretVersionIds');
  });

  it.each([...revokeCases, ...restoreCases])(
    '%s converges when call %i (%s) fails %s it applies',
    async (method, index, _operation, timing) => {
      const w = world();
      await w.rotate();
      const old = w.strategy.parse(w.initial.json);
      const previousVersion = w.holder(STAGE.previous);
      if (method === 'restore') await w.strategy.revoke?.(old, w.ctx);
      w.client.failCall(w.client.calls.length + index, timing);
      await expect(w.strategy[method]?.(old, w.ctx)).rejects.toThrow(/injected failure/);
      await w.strategy[method]?.(old, w.ctx);
      expect(w.holder(STAGE.previous)).toBe(method === 'revoke' ? undefined : previousVersion);
      expect(w.value({ VersionStage: STAGE.current }).key).not.toBe(old.key);
    },
  );
});

describe('Method: inUse', () => {
  const snapshot = (secretName: string, keyId: string, previous: number): VerifierMetricsSnapshot => ({
    secretName,
    timestamp: new Date(NOW.getTime() - 120_000),
    accepts: previous > 0 ? [{ keyId, stage: 'previous', count: previous }] : [],
    rejections: {
      'rejected-unknown': 0,
      'rejected-revoked': 0,
      'rejected-stale': 0,
      'rejected-malformed': 0,
    },
    refreshFailures: 0,
    consecutiveRefreshFailures: 0,
  });

  it('reads the PreviousKeyAccepted sum the verifiers published for the old key id', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    const sink = createCloudWatchMetricsSink({ client: w.cloudWatch.client });
    // Two verifiers report; the CloudWatch model's clock is real time: publish "now".
    const at = new Date();
    const strategy = createSharedKeyStrategy({
      cloudWatch: w.cloudWatch.client,
      now: () => new Date(at.getTime() + 60_000),
    });
    await sink.publish({ ...snapshot(w.name, old.keyId, 4), timestamp: at });
    await sink.publish({ ...snapshot(w.name, old.keyId, 3), timestamp: at });
    const report = await strategy.inUse?.(old, new Date(at.getTime() - 3_600_000), w.ctx);
    expect(report).toEqual({
      inUse: true,
      evidence: expect.stringContaining(`7 requests accepted with previous key ${old.keyId} of ${w.name}`),
      lastUsed: new Date(Math.floor(at.getTime() / 60_000) * 60_000),
    });
  });

  it('calls the old key unused when verifiers reported and none accepted it', async () => {
    const w = world();
    await w.rotate();
    const old = w.strategy.parse(w.initial.json);
    const at = new Date();
    await createCloudWatchMetricsSink({ client: w.cloudWatch.client }).publish({
      ...snapshot(w.name, old.keyId, 0),
      timestamp: at,
    });
    const strategy = createSharedKeyStrategy({
      cloudWatch: w.cloudWatch.client,
      now: () => at,
    });
    const report = await strategy.inUse?.(old, new Date(at.getTime() - 600_000), w.ctx);
    expect(report).toEqual({
      inUse: false,
      evidence: expect.stringMatching(/no request accepted with previous key .* \(1 verifier reports\)/),
    });
  });

  it('counts the old key as in use when no verifier reported at all, unless told otherwise', async () => {
    const w = world();
    const old = w.strategy.parse(w.initial.json);
    const report = await w.strategy.inUse?.(old, new Date(NOW.getTime() - 600_000), w.ctx);
    expect(report).toEqual({
      inUse: true,
      evidence: expect.stringMatching(/no verifier of .* reported metrics .*: cannot prove key .* is unused/),
    });
    const relaxed = createSharedKeyStrategy({
      cloudWatch: w.cloudWatch.client,
      requireVerifierHeartbeat: false,
      now: () => NOW,
    });
    expect((await relaxed.inUse?.(old, new Date(NOW.getTime() - 600_000), w.ctx))?.inUse).toBe(false);
  });

  it('queries Sum by the exact dimensions, in the configured namespace, from the period boundary', async () => {
    const w = world();
    const old = w.strategy.parse(w.initial.json);
    const strategy = createSharedKeyStrategy({
      cloudWatch: w.cloudWatch.client,
      metricsNamespace: 'Platform/Auth',
      now: () => NOW,
    });
    await strategy.inUse?.(old, new Date('2026-11-21T09:30:30.000Z'), w.ctx);
    const query = w.cloudWatch.inputs.at(-1)?.input;
    expect(query).toMatchObject({
      StartTime: '2026-11-21T09:30:00.000Z',
      EndTime: '2026-11-21T10:01:00.000Z',
      MetricDataQueries: [
        {
          Id: 'previous',
          MetricStat: {
            Metric: {
              Namespace: 'Platform/Auth',
              MetricName: 'PreviousKeyAccepted',
              Dimensions: [
                { Name: 'credential_type', Value: 'shared-key' },
                { Name: 'secret_name', Value: w.name },
                { Name: 'key_id', Value: old.keyId },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
        },
        { Id: 'heartbeat', MetricStat: { Metric: { MetricName: 'VerifierHeartbeat' }, Stat: 'Sum' } },
      ],
    });
  });

  it.each([
    [10 * 60_000, 60],
    [15 * 86_400_000, 60],
    [16 * 86_400_000, 300],
    [64 * 86_400_000, 3600],
  ])('uses a period CloudWatch still has data for: %i ms back -> %i s', (ago, period) => {
    expect(usagePeriodSeconds(new Date(NOW.getTime() - ago), NOW)).toBe(period);
  });
});
