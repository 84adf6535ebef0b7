import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyNameFor } from '../../../../lambdas/credentials/api-key/key-name';
import type { ProviderId } from '../../../../lambdas/credentials/api-key/provider';
import { STAGE } from '../../../../lambdas/rotation/constants';
import { createRotationHandler } from '../../../../lambdas/rotation/engine';
import { createSecretsManagerPort } from '../../../../lambdas/rotation/secrets-port';
import { SecretsManagerService } from '../../../../local/emulator';
import { type FaultTiming, inProcessSecretsClient } from '../../../support/in-process-secrets';
import { recordSecretMaterial } from '../../../support/log-scan';
import { providerWorld } from './world';

/**
 * The engine driving the API key strategy, with the emulator's Secrets Manager model and the fake
 * providers in-process (no network): every Secrets Manager call and every provider side effect is
 * failed in turn, before and after it takes effect, and the rotation must converge to exactly one
 * new key at the provider, stored as AWSCURRENT, with the old key untouched (only revoke deletes it).
 */
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-api-key';

function setup(provider: Exclude<ProviderId, 'stripe'>) {
  const w = providerWorld(provider, {}, { maxAttempts: 2 });
  const service = new SecretsManagerService({ rotation: { retries: 2, retryDelayMs: 0 } });
  const client = inProcessSecretsClient(service);
  const create = (Name: string, SecretString: string) =>
    (service.invoke('CreateSecret', { Name, SecretString }) as { ARN: string }).ARN;
  const managementArn = create(`admin-${randomUUID()}`, w.managementJson);
  const initial = { ...JSON.parse(w.currentJson), managementSecretArn: managementArn };
  const arn = create(`app/${provider}-${randomUUID()}`, JSON.stringify(initial));
  service.configureRotation(arn, LAMBDA);
  const silent = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const handler = createRotationHandler({
    strategy: w.strategy,
    secrets: createSecretsManagerPort(client),
    logger: silent,
    metrics: { recordStep: () => undefined, recordRotation: () => undefined },
  });
  service.registerRotationLambda(LAMBDA, handler);
  const value = (selector: Record<string, string>) =>
    JSON.parse(
      (service.invoke('GetSecretValue', { SecretId: arn, ...selector }) as { SecretString: string })
        .SecretString,
    ) as {
      keyId: string;
      apiKey: string;
      keyName?: string;
    };
  const rotate = async () => {
    service.invoke('RotateSecret', { SecretId: arn, RotationLambdaARN: LAMBDA });
    return service.waitForRotation(arn);
  };
  return { ...w, service, client, arn, initial, value, rotate };
}

type Setup = ReturnType<typeof setup>;

/** The end state: one key for this rotation at the provider, stored as AWSCURRENT; the old key kept. */
function expectConverged(s: Setup, versionId: string): void {
  const stages = (
    s.service.invoke('DescribeSecret', { SecretId: s.arn }) as {
      VersionIdsToStages: Record<string, string[]>;
    }
  ).VersionIdsToStages;
  expect(stages[versionId]).toEqual([STAGE.current]);
  expect(Object.values(stages).flat()).not.toContain(STAGE.pending);
  const current = s.value({ VersionStage: STAGE.current });
  recordSecretMaterial(current.apiKey);
  const name = keyNameFor(s.arn, versionId);
  expect(current.keyName).toBe(name);
  expect(s.names().filter((n) => n === name)).toHaveLength(1);
  expect(s.exists(current.keyId)).toBe(true);
  expect(s.exists(s.initial.keyId)).toBe(true);
  const effects = s.fake.effects.filter((e) => e.endsWith(name));
  expect(
    effects.filter((e) => e.startsWith('create:')).length -
      effects.filter((e) => e.startsWith('delete:')).length,
  ).toBe(1);
  expect(effects.at(-1)).toBe(`create:${name}`);
}

const clean = setup('sendgrid');
await clean.rotate();
clean.client.calls.length = 0;
await clean.rotate();
const calls = [...clean.client.calls];
const writes = new Set(['PutSecretValue', 'UpdateSecretVersionStage']);
const cases = calls.flatMap((operation, index) =>
  (writes.has(operation) ? (['before', 'after'] as const) : (['before'] as const)).map(
    (timing: FaultTiming) => [index, operation, timing] as const,
  ),
);

describe('Rotation of API keys through the engine', () => {
  describe.each(['sendgrid', 'twilio', 'http'] as const)('%s', (provider) => {
    it('rotates with one provider key per rotation and never deletes the old key', async () => {
      const s = setup(provider);

      const outcome = await s.rotate();

      expect(outcome.status).toBe('succeeded');
      expectConverged(s, outcome.versionId);
      expect(s.fake.effects).toEqual([`create:${keyNameFor(s.arn, outcome.versionId)}`]);
    });

    it.each(cases)(
      'converges when Secrets Manager call #%i (%s) fails %s it applies',
      async (index, _operation, timing) => {
        const s = setup(provider);
        s.client.failCall(index, timing);

        const outcome = await s.rotate();

        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.filter((step) => step.outcome === 'failed')).toHaveLength(1);
        expectConverged(s, outcome.versionId);
      },
    );

    it('stores exactly one key when PutSecretValue fails before it applies: the retry deletes the orphan first', async () => {
      const s = setup(provider);
      s.client.failCall(calls.indexOf('PutSecretValue'), 'before');

      const outcome = await s.rotate();

      const name = keyNameFor(s.arn, outcome.versionId);
      expect(s.fake.effects).toEqual([`create:${name}`, `delete:${name}`, `create:${name}`]);
      expectConverged(s, outcome.versionId);
    });

    it('reuses the stored key when PutSecretValue applied but its answer was lost: no second key', async () => {
      const s = setup(provider);
      s.client.failCall(calls.indexOf('PutSecretValue'), 'after');

      const outcome = await s.rotate();

      expect(s.fake.effects).toEqual([`create:${keyNameFor(s.arn, outcome.versionId)}`]);
      expectConverged(s, outcome.versionId);
    });

    it.each([
      ['before', false],
      ['after', true],
    ] as const)(
      'converges when every create of a step fails %s the provider acts',
      async (_timing, afterEffect) => {
        const s = setup(provider);
        s.fake.fail({ operation: 'create', status: 500, afterEffect, times: 2 });

        const outcome = await s.rotate();

        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.map((step) => `${step.step}:${step.outcome}`).slice(0, 2)).toEqual([
          'createSecret:failed',
          'createSecret:succeeded',
        ]);
        expectConverged(s, outcome.versionId);
      },
    );

    it.each([
      ['before', false],
      ['after', true],
    ] as const)(
      'converges when deleting the orphan fails %s the provider acts',
      async (_timing, afterEffect) => {
        const s = setup(provider);
        s.client.failCall(calls.indexOf('PutSecretValue'), 'before');
        // The first delete is the orphan's, in the second createSecret attempt. Before: the failures
        // outlast that step's HTTP attempts (maxAttempts 2), so the step fails and is retried. After:
        // the orphan is gone but the answer is lost; the retried DELETE gets 404, which is success.
        s.fake.fail({ operation: 'delete', status: 503, afterEffect, times: afterEffect ? 1 : 2 });

        const outcome = await s.rotate();

        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.filter((step) => step.outcome === 'failed')).toHaveLength(afterEffect ? 1 : 2);
        expectConverged(s, outcome.versionId);
      },
    );
  });
});
