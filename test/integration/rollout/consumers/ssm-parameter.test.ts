import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { versionLabel } from '../../../../lambdas/rollout/consumers';
import type { SsmParameterConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';

captureProcessOutput();

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

describe('SSM parameter consumer over HTTP', () => {
  it('mirrors the version value into a SecureString with the KMS key, labels it, and verifies', async () => {
    const update = world.update(secret.arn, secret.newVersion);

    const updated = await world.adapters['ssm-parameter'].update(consumer, update);
    const verified = await world.adapters['ssm-parameter'].verify(consumer, update);

    expect(updated.outcome).toBe('updated');
    expect(verified.outcome).toBe('verified');
    expect(await parameter()).toMatchObject({
      type: 'SecureString',
      value: NEW_VALUE,
      version: 1,
      keyId: 'alias/legacy',
      labels: [versionLabel(secret.newVersion)],
    });
  });

  it('lets consumers read the parameter version by the secret version label', async () => {
    await world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.newVersion));

    const output = await world.clients.ssm.send(
      new GetParameterCommand({
        Name: `${consumer.parameterName}:${versionLabel(secret.newVersion)}`,
        WithDecryption: true,
      }),
    );

    expect(output.Parameter?.Value).toBe(NEW_VALUE);
  });

  it('is a no-op on re-run: already-current and no new parameter version', async () => {
    const update = world.update(secret.arn, secret.newVersion);
    await world.adapters['ssm-parameter'].update(consumer, update);

    const again = await world.adapters['ssm-parameter'].update(consumer, update);

    expect(again.outcome).toBe('already-current');
    expect((await parameter())?.version).toBe(1);
  });

  it('moves back to the old value for a rollback, and the label follows each version', async () => {
    await world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.newVersion));

    await world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.oldVersion));

    expect(await parameter()).toMatchObject({
      value: OLD_VALUE,
      version: 2,
      labels: [versionLabel(secret.oldVersion)],
    });
  });

  it('refuses to overwrite a plain String parameter', async () => {
    await world.clients.ssm.send(
      new PutParameterCommand({ Name: consumer.parameterName, Value: 'plain', Type: 'String' }),
    );

    const error = await rejectionOf(
      world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('is a String parameter');
    expect((await parameter())?.value).toBe('plain');
  });

  it('fails verify when the parameter holds the old value, without the value in the message', async () => {
    await world.adapters['ssm-parameter'].update(consumer, world.update(secret.arn, secret.oldVersion));

    const error = await rejectionOf(
      world.adapters['ssm-parameter'].verify(consumer, world.update(secret.arn, secret.newVersion)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain(`does not hold secret version ${secret.newVersion}`);
    expect(error.message).not.toContain('P4ssword');
  });
});
