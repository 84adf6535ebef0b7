import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROLLOUT_ENV, ROLLOUT_METRIC } from '../../../lambdas/rollout/contract';
import { rolloutEnvironment } from '../../../lambdas/rollout/env';
import { createRolloutMetrics } from '../../../lambdas/rollout/metrics';
import { createRolloutHandler } from '../../../lambdas/rollout/rollout-handler';
import { ConfigurationError } from '../../../lambdas/shared/errors';
import { type RolloutTestWorld, rolloutWorld } from './fakes';

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

describe('Function: createRolloutHandler', () => {
  it('dispatches on the Task field', async () => {
    // GIVEN
    const handler = createRolloutHandler(world.deps);

    // WHEN
    const result = await handler({
      Task: 'update-consumer',
      consumer: { kind: 'webhook', name: 'partner', url: 'https://p.example.com', signingSecretArn: 'arn:x' },
      update: { secretArn: 'arn:s', versionId: 'v2', rolloutId: 'run-1', mode: 'scheduled' },
    });

    // THEN
    expect(result).toMatchObject({ consumer: 'partner', ok: true });
    expect(world.adapterCalls).toEqual(['update:partner@v2', 'verify:partner@v2']);
  });

  it.each([[{}], [{ Task: 'deploy' }], [null]])(
    'refuses a payload without a known Task (%j)',
    async (event) => {
      await expect(createRolloutHandler(world.deps)(event)).rejects.toMatchObject({
        name: 'Handover.InvalidInput',
        message: expect.stringContaining('needs a Task field, one of preflight, start-rotation'),
      });
    },
  );

  it('logs a failed task once, with the consumer, and rethrows the error under its own name', async () => {
    // GIVEN
    world.failing.set(
      'partner',
      Object.assign(new Error('HTTP 503 from p.example.com'), { name: 'ConsumerError' }),
    );

    // WHEN / THEN
    await expect(
      createRolloutHandler(world.deps)({
        Task: 'update-consumer',
        consumer: {
          kind: 'webhook',
          name: 'partner',
          url: 'https://p.example.com',
          signingSecretArn: 'arn:x',
        },
        update: { secretArn: 'arn:s', versionId: 'v2', rolloutId: 'run-1', mode: 'scheduled' },
      }),
    ).rejects.toMatchObject({ name: 'ConsumerError' });
    expect(world.logger.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'update-consumer failed',
        fields: expect.objectContaining({
          step: 'update-consumer',
          consumer: 'partner',
          secret_id: 'arn:s',
          rotation_id: 'run-1',
          outcome: 'failure',
          reason: 'ConsumerError: HTTP 503 from p.example.com',
        }),
      }),
    ]);
  });
});

describe('Function: createRolloutMetrics', () => {
  it('emits each metric in embedded metric format with the credential_type dimension', () => {
    // GIVEN
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const metrics = createRolloutMetrics();

      // WHEN
      metrics.oldCredentialStillInUse('iam-access-key');
      metrics.rollout('postgres', 'failure');
    } finally {
      spy.mockRestore();
    }

    // THEN
    const emitted = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emitted).toEqual([
      expect.objectContaining({
        credential_type: 'iam-access-key',
        [ROLLOUT_METRIC.oldCredentialStillInUse]: 1,
      }),
      expect.objectContaining({ credential_type: 'postgres', [ROLLOUT_METRIC.rolloutFailed]: 1 }),
    ]);
    expect(JSON.stringify(emitted[0])).toContain('"Dimensions":[["service","credential_type"]]');
  });
});

describe('Function: rolloutEnvironment', () => {
  it('reads the settings the construct sets', () => {
    expect(
      rolloutEnvironment({
        [ROLLOUT_ENV.leaseSeconds]: '86400',
        [ROLLOUT_ENV.rotationTimeoutSeconds]: '600',
        [ROLLOUT_ENV.topicArn]: 'arn:aws:sns:us-east-1:123456789012:t',
        [ROLLOUT_ENV.eventBusName]: 'ops',
        [ROLLOUT_ENV.runbookUrl]: 'https://example.com/README.md',
        [ROLLOUT_ENV.lockTable]: 'locks',
      }),
    ).toEqual({
      lockTable: 'locks',
      leaseSeconds: 86_400,
      rotationTimeoutSeconds: 600,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:t',
      eventBusName: 'ops',
      runbookUrl: 'https://example.com/README.md',
    });
  });

  it('defaults everything optional', () => {
    expect(rolloutEnvironment({ [ROLLOUT_ENV.lockTable]: 'locks' })).toEqual({
      lockTable: 'locks',
      leaseSeconds: 32 * 24 * 3600,
      rotationTimeoutSeconds: 900,
      eventBusName: 'default',
      runbookUrl: 'docs/runbook.md',
    });
  });

  it('fails fast naming a malformed variable', () => {
    const env = { [ROLLOUT_ENV.lockTable]: 'locks' };
    expect(() => rolloutEnvironment({ ...env, [ROLLOUT_ENV.leaseSeconds]: '5' })).toThrow(ConfigurationError);
    expect(() => rolloutEnvironment({ ...env, [ROLLOUT_ENV.leaseSeconds]: '5' })).toThrow(
      /HANDOVER_ROLLOUT_LEASE_SECONDS/,
    );
  });

  it('fails fast without the lock table, naming its variable', () => {
    expect(() => rolloutEnvironment({})).toThrow(/HANDOVER_ROLLOUT_LOCK_TABLE is required/);
  });
});
