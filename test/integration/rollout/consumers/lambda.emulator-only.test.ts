import { UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsumerNotReadyError } from '../../../../lambdas/rollout/consumers';
import type { LambdaConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';

captureProcessOutput();

/*
 * EMULATOR ONLY: these tests arrange what no Lambda API call can: an update that stays in progress
 * for a chosen time (`lambda.updateDelayMs`), an update that ends Failed (`failNextUpdate`),
 * variables Lambda cannot decrypt (`setEnvironmentError`), injected faults, and they count updates
 * (`updateCount`). The rest of the adapter is tested portably in lambda.test.ts.
 */

const API_KEY_IN_ENV = 'sk_live_lambda-integration-other-variable-9d2e';
recordSecretMaterial(API_KEY_IN_ENV);

let world: ConsumerWorld;
let consumer: LambdaConsumer;
let counter = 0;
const NEW = 'a1b2c3d4-0000-4000-8000-000000000002';
const OLD = 'a1b2c3d4-0000-4000-8000-000000000001';

beforeAll(async () => {
  world = await startConsumerWorld({ lambda: { updateDelayMs: 60 } });
});

afterAll(async () => {
  await world.close();
});

beforeEach(() => {
  counter += 1;
  const functionName = `billing-api-${counter}`;
  world.emulator.lambda.updateDelayMs = 60;
  world.emulator.lambda.registerFunction({
    functionName,
    environment: { HANDOVER_SECRET_VERSION: OLD, PAYMENT_API_KEY: API_KEY_IN_ENV, TABLE: 'bills' },
  });
  consumer = { kind: 'lambda', name: `billing-${counter}`, functionName };
});

const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf';
const variables = () =>
  world.emulator.lambda.functionConfiguration(consumer.functionName)?.Environment?.Variables;

describe('Lambda consumer against the emulator: delays, failures and faults', () => {
  it('waits out someone else’s update in progress and keeps what it wrote', async () => {
    world.emulator.lambda.updateDelayMs = 200;
    await world.clients.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: consumer.functionName,
        Environment: {
          Variables: {
            HANDOVER_SECRET_VERSION: OLD,
            PAYMENT_API_KEY: API_KEY_IN_ENV,
            TABLE: 'bills',
            NEW_FLAG: 'on',
          },
        },
      }),
    );

    const result = await world.adapters.lambda.update(consumer, world.update(arn, NEW));

    expect(result.outcome).toBe('updated');
    expect(variables()).toMatchObject({ NEW_FLAG: 'on', HANDOVER_SECRET_VERSION: NEW });
    expect(world.emulator.lambda.updateCount(consumer.functionName)).toBe(2);
  });

  it('fails with Lambda reason when the update ends Failed, and succeeds on re-run', async () => {
    world.emulator.lambda.failNextUpdate(consumer.functionName, {
      reasonCode: 'SubnetOutOfIPAddresses',
      reason: 'No free IP addresses in the subnet',
    });

    const error = await rejectionOf(world.adapters.lambda.update(consumer, world.update(arn, NEW)));
    const retried = await world.adapters.lambda.update(consumer, world.update(arn, NEW));

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('SubnetOutOfIPAddresses: No free IP addresses in the subnet');
    expect(retried.outcome).toBe('updated');
  });

  it('refuses to touch a function whose variables Lambda cannot show', async () => {
    world.emulator.lambda.setEnvironmentError(consumer.functionName, {
      ErrorCode: 'KMSDisabledException',
      Message: 'The KMS key is disabled',
    });

    const error = await rejectionOf(world.adapters.lambda.update(consumer, world.update(arn, NEW)));

    expect(error).toBeInstanceOf(ConsumerError);
    expect(error.message).toContain('KMSDisabledException');
    expect(world.emulator.lambda.updateCount(consumer.functionName)).toBe(0);
  });

  it('throws ConsumerNotReadyError while an update stays in progress, then finishes on re-run', async () => {
    world.emulator.lambda.updateDelayMs = 60_000;
    await world.clients.lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: consumer.functionName,
        Description: 'slow deploy',
      }),
    );
    const { createLambdaAdapter } = await import('../../../../lambdas/rollout/consumers');
    const impatient = createLambdaAdapter({
      lambda: world.clients.lambda,
      options: { pollIntervalMs: 20, updateTimeoutMs: 100 },
    });

    const error = await rejectionOf(impatient.update(consumer, world.update(arn, NEW)));
    world.emulator.lambda.updateDelayMs = 0;
    world.emulator.lambda.registerFunction({
      functionName: consumer.functionName,
      environment: { HANDOVER_SECRET_VERSION: OLD },
    });
    const retried = await impatient.update(consumer, world.update(arn, NEW));

    expect(error).toBeInstanceOf(ConsumerNotReadyError);
    expect(retried.outcome).toBe('updated');
  });

  it('fails on a throttled read and updates once on re-run', async () => {
    world.emulator.faults.add({
      service: 'lambda',
      operation: 'GetFunctionConfiguration',
      error: 'throttle',
    });

    await rejectionOf(world.adapters.lambda.update(consumer, world.update(arn, NEW)));
    const retried = await world.adapters.lambda.update(consumer, world.update(arn, NEW));

    expect(retried.outcome).toBe('updated');
    expect(world.emulator.lambda.updateCount(consumer.functionName)).toBe(1);
  });

  it('does not update twice on re-run when the run failed after its update', async () => {
    // The read after the write fails: the update is done, the run is not.
    world.emulator.faults.add({ service: 'lambda', operation: 'GetFunctionConfiguration', after: 1 });

    await rejectionOf(world.adapters.lambda.update(consumer, world.update(arn, NEW)));
    const retried = await world.adapters.lambda.update(consumer, world.update(arn, NEW));

    expect(retried.outcome).toBe('already-current');
    expect(world.emulator.lambda.updateCount(consumer.functionName)).toBe(1);
    expect(variables()?.PAYMENT_API_KEY).toBe(API_KEY_IN_ENV);
  });
});
