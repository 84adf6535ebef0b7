import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { versionLabel } from '../../../../lambdas/rollout/consumers';
import type { SsmParameterConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';

captureProcessOutput();

/*
 * EMULATOR ONLY: SSM and Secrets Manager failing a chosen call is made with the emulator's fault
 * hooks. The adapter's behaviour without faults is tested portably in ssm-parameter.test.ts.
 */

let world: ConsumerWorld;
let secret: Awaited<ReturnType<ConsumerWorld['createSecret']>>;
let consumer: SsmParameterConsumer;
let counter = 0;
const OLD_VALUE = JSON.stringify({ username: 'app', password: 'ssm-int-0ld-P4ssword-x1' });
const NEW_VALUE = JSON.stringify({ username: 'app', password: 'ssm-int-n3w-P4ssword-y2' });

beforeAll(async () => {
  world = await startConsumerWorld();
});

afterAll(async () => {
  await world.close();
});

afterEach(() => {
  world.emulator.faults.clear();
});

beforeEach(async () => {
  counter += 1;
  secret = await world.createSecret(OLD_VALUE, NEW_VALUE);
  consumer = {
    kind: 'ssm-parameter',
    name: `legacy-${counter}`,
    parameterName: world.unique(`/legacy/db-${counter}`),
    kmsKeyId: 'alias/legacy',
  };
});

const parameter = () => world.parameter(consumer.parameterName);

describe('SSM parameter consumer under faults', () => {
  it('writes once when re-run after PutParameter failed', async () => {
    world.emulator.faults.add({ service: 'ssm', operation: 'PutParameter' });

    const error = await rejectionOf(
      world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.newVersion)),
    );
    const retried = await world.adapters['ssm-parameter'].update(
      consumer,
      world.update(secret.arn, secret.newVersion),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(retried.outcome).toBe('updated');
    expect((await parameter())?.version).toBe(1);
  });

  it('does not write again when re-run after the label failed, and labels on re-run', async () => {
    world.emulator.faults.add({ service: 'ssm', operation: 'LabelParameterVersion', error: 'throttle' });

    const first = await world.adapters['ssm-parameter'].update(
      consumer,
      world.update(secret.arn, secret.newVersion),
    );
    const second = await world.adapters['ssm-parameter'].update(
      consumer,
      world.update(secret.arn, secret.newVersion),
    );

    expect(first.detail).toContain('not labelled');
    expect(second.outcome).toBe('already-current');
    expect(await parameter()).toMatchObject({ version: 1, labels: [versionLabel(secret.newVersion)] });
  });

  it('fails without writing when the secret version cannot be read', async () => {
    world.emulator.faults.add({ service: 'secretsmanager', operation: 'GetSecretValue' });

    const error = await rejectionOf(
      world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain(`cannot read version ${secret.newVersion}`);
    expect(await parameter()).toBeUndefined();
  });
});
