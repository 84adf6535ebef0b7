import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';

captureProcessOutput();

/**
 * The Lambda consumer adapter against Lambda over HTTP (an endpoint given, or the emulator), with
 * functions created through the Lambda API and observed through GetFunctionConfiguration.
 * Portable; what needs the emulator's hooks is in lambda.emulator-only.test.ts.
 */
const API_KEY_IN_ENV = 'sk_live_lambda-integration-other-variable-9d2e';
recordSecretMaterial(API_KEY_IN_ENV);

let world: ConsumerWorld;
let consumer: LambdaConsumer;
let counter = 0;
const NEW = 'a1b2c3d4-0000-4000-8000-000000000002';
const OLD = 'a1b2c3d4-0000-4000-8000-000000000001';

beforeAll(async () => {
  world = await startConsumerWorld();
});

afterAll(async () => {
  await world.close();
});

beforeEach(async () => {
  counter += 1;
  const functionName = await world.createFunction(`billing-api-${counter}`, {
    HANDOVER_SECRET_VERSION: OLD,
    PAYMENT_API_KEY: API_KEY_IN_ENV,
    TABLE: 'bills',
  });
  consumer = { kind: 'lambda', name: `billing-${counter}`, functionName };
});

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf';
const configuration = () => world.functionConfiguration(consumer.functionName);

describe('Lambda consumer over HTTP', () => {
  it('updates the variable, keeps the others, waits for Successful, and verifies', async () => {
    const update = world.update(arn, NEW);

    const updated = await world.adapters.lambda.update(consumer, update);
    const verified = await world.adapters.lambda.verify(consumer, update);

    expect(updated.outcome).toBe('updated');
    expect(verified.outcome).toBe('verified');
    const after = await configuration();
    expect(after.Environment?.Variables).toEqual({
      HANDOVER_SECRET_VERSION: NEW,
      PAYMENT_API_KEY: API_KEY_IN_ENV,
      TABLE: 'bills',
    });
    expect(after.LastUpdateStatus).toBe('Successful');
  });

  it('is a no-op on re-run: already-current, no second update (the RevisionId stays)', async () => {
    const update = world.update(arn, NEW);
    await world.adapters.lambda.update(consumer, update);
    const revision = (await configuration()).RevisionId;

    const again = await world.adapters.lambda.update(consumer, update);

    expect(again.outcome).toBe('already-current');
    expect((await configuration()).RevisionId).toBe(revision);
  });

  it('redacts the other variables when Lambda quotes them in the 4 KB error', async () => {
    // 4071 bytes of variables: within Lambda's 4 KB, until the adapter adds HANDOVER_SECRET_VERSION.
    const functionName = await world.createFunction(`billing-big-${counter}`, {
      PAYMENT_API_KEY: API_KEY_IN_ENV,
      PADDING: 'p'.repeat(3990),
    });

    const error = await rejectionOf(
      world.adapters.lambda.update({ ...consumer, functionName }, world.update(arn, NEW)),
    );

    expect(error.message).toContain('exceeded the 4KB limit');
    expect(error.message).not.toContain(API_KEY_IN_ENV);
  });

  it('fails verify when the function is not on the version', async () => {
    const error = await rejectionOf(world.adapters.lambda.verify(consumer, world.update(arn, NEW)));

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain(`is ${OLD}, expected ${NEW}`);
  });

  it('fails with a ConsumerError for a function that does not exist', async () => {
    const error = await rejectionOf(
      world.adapters.lambda.update({ ...consumer, functionName: 'no-such-function' }, world.update(arn, NEW)),
    );

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('ResourceNotFoundException');
  });
});
