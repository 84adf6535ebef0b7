import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyNameFor } from '../../../lambdas/credentials/api-key/key-name';
import { type ApiKeyWorld, startApiKeyWorld } from './harness';

/**
 * EMULATOR ONLY: Secrets Manager failing PutSecretValue after the provider created the key is made
 * with the emulator's fault hooks; no AWS API can make the service fail a chosen call.
 */
let world: ApiKeyWorld;

beforeAll(async () => {
  world = await startApiKeyWorld();
});

afterEach(() => {
  world.emulator.faults.clear();
});

afterAll(async () => {
  await world?.close();
});

const SDK_ATTEMPTS = 3;

function fakeOf(provider: string) {
  return provider === 'sendgrid' ? world.sendgrid : provider === 'twilio' ? world.twilio : world.acme;
}

describe('Rotation: third-party API keys under Secrets Manager faults', () => {
  describe.each(['sendgrid', 'twilio', 'http'] as const)('%s', (provider) => {
    it('converges when PutSecretValue fails after the provider created the key: the retry deletes that orphan', async () => {
      const app = await world.createSecret(provider);
      const fault = world.emulator.faults.add({
        operation: 'PutSecretValue',
        times: SDK_ATTEMPTS,
        when: (input) => typeof input.SecretId === 'string' && app.arn.startsWith(input.SecretId),
      });

      const outcome = await world.rotate(app.arn);

      expect(fault.hits).toBe(SDK_ATTEMPTS);
      expect(outcome.status).toBe('succeeded');
      expect(outcome.steps.filter((s) => s.outcome === 'failed').map((s) => s.step)).toEqual([
        'createSecret',
      ]);
      const name = keyNameFor(app.arn, outcome.versionId);
      const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
      expect(
        fakeOf(provider)
          .names()
          .filter((n) => n === name),
      ).toHaveLength(1);
      expect(fakeOf(provider).effects.filter((e) => e.endsWith(name))).toEqual([
        `create:${name}`,
        `delete:${name}`,
        `create:${name}`,
      ]);
      expect(await world.keyWorks(current)).toBe(true);
    });
  });
});
