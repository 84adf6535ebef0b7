import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ROTATION_EVENT_DETAIL_TYPE,
  ROTATION_EVENT_SOURCE,
  type RotationEventDetail,
} from '../../../../lambdas/rollout/consumers';
import type { EventConsumer } from '../../../../lambdas/rollout/contract';
import type { DeliveredEvent } from '../../../../local/emulator';
import { captureProcessOutput } from '../../../support/log-scan';
import { type ConsumerWorld, rejectionOf, startConsumerWorld } from './harness';

captureProcessOutput();

/*
 * EMULATOR ONLY: a task token exists only inside a running Step Functions execution (the emulator
 * mints one with `stepFunctions.createTaskToken` and waits on it), and an event reaches a consumer
 * only through an EventBridge rule and target (the emulator delivers to `eventBridge.subscribe`).
 * Neither can be arranged through the APIs this adapter calls.
 */

const OLD_VALUE = JSON.stringify({ apiKey: 'event-ack-0ld-api-key-value-aa11' });
const NEW_VALUE = JSON.stringify({ apiKey: 'event-ack-n3w-api-key-value-bb22' });

let world: ConsumerWorld;
let secret: Awaited<ReturnType<ConsumerWorld['createSecret']>>;
const consumer: EventConsumer = {
  kind: 'event',
  name: 'ci-deploy',
  eventBusName: 'platform',
  timeoutSeconds: 5,
};
let unsubscribe: (() => void) | undefined;

beforeAll(async () => {
  world = await startConsumerWorld();
  secret = await world.createSecret(OLD_VALUE, NEW_VALUE);
});

afterAll(async () => {
  await world.close();
});

beforeEach(() => {
  world.emulator.eventBridge.clear();
});

afterEach(() => {
  unsubscribe?.();
  unsubscribe = undefined;
});

/**
 * A consumer as another team would build it behind an EventBridge rule: it reads the new version
 * of the secret itself (the event never carries it), redeploys once per idempotency key, and
 * acknowledges EVERY task token it receives (a retried task sends a new one), all over HTTP
 * through the SDK.
 */
function subscribeConsumer(behaviour: 'acknowledge' | 'reject' = 'acknowledge') {
  const deployed = new Set<string>();
  const seen: DeliveredEvent[] = [];
  unsubscribe = world.emulator.eventBridge.subscribe(
    { source: ROTATION_EVENT_SOURCE, detailType: ROTATION_EVENT_DETAIL_TYPE, eventBusName: 'platform' },
    async (event) => {
      seen.push(event);
      const detail = event.detail as unknown as RotationEventDetail;
      if (behaviour === 'reject') {
        await world.clients.sfn.send(
          new SendTaskFailureCommand({
            taskToken: detail.taskToken,
            error: 'Handover.ConsumerRejected',
            cause: 'smoke test failed on the new key',
          }),
        );
        return;
      }
      if (!deployed.has(detail.idempotencyKey)) {
        const value = await world.clients.secretsManager.send(
          new GetSecretValueCommand({ SecretId: detail.secretArn, VersionId: detail.versionId }),
        );
        if (value.SecretString !== NEW_VALUE) throw new Error('consumer read an unexpected value');
        deployed.add(detail.idempotencyKey);
      }
      await world.clients.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: detail.taskToken,
          output: JSON.stringify({ consumer: detail.consumer, usingVersion: detail.versionId }),
        }),
      );
    },
  );
  return { deployed, seen };
}

describe('Event consumer with task-token acknowledgement over HTTP', () => {
  it('publishes, the consumer acknowledges with SendTaskSuccess, and the wait resolves with its output', async () => {
    const { deployed, seen } = subscribeConsumer();
    const token = world.emulator.stepFunctions.createTaskToken();
    const acknowledged = world.emulator.stepFunctions.waitForTaskToken(token, 5000);
    const update = world.update(secret.arn, secret.newVersion, { taskToken: token });

    const published = await world.adapters.event.update(consumer, update);
    const output = await acknowledged;
    const verified = await world.adapters.event.verify(consumer, update);

    expect(published.outcome).toBe('published');
    expect(output).toEqual({ consumer: 'ci-deploy', usingVersion: secret.newVersion });
    expect(verified.outcome).toBe('verified');
    expect(deployed.size).toBe(1);
    expect(seen[0]).toMatchObject({
      source: 'handover',
      'detail-type': 'Handover Credential Rotated',
      resources: [secret.arn],
    });
    expect(world.emulator.eventBridge.deliveryErrors).toEqual([]);
  });

  it('never puts the secret value in the event', async () => {
    subscribeConsumer();
    const token = world.emulator.stepFunctions.createTaskToken();
    const acknowledged = world.emulator.stepFunctions.waitForTaskToken(token, 5000);

    await world.adapters.event.update(
      consumer,
      world.update(secret.arn, secret.newVersion, { taskToken: token }),
    );
    await acknowledged;

    const event = JSON.stringify(world.emulator.eventBridge.events());
    expect(event).not.toContain('event-ack-n3w-api-key-value-bb22');
    expect(event).not.toContain('event-ack-0ld-api-key-value-aa11');
  });

  it('fails the wait with the consumer error when it reports SendTaskFailure', async () => {
    subscribeConsumer('reject');
    const token = world.emulator.stepFunctions.createTaskToken();
    const acknowledged = world.emulator.stepFunctions.waitForTaskToken(token, 5000);

    await world.adapters.event.update(
      consumer,
      world.update(secret.arn, secret.newVersion, { taskToken: token }),
    );
    const error = await rejectionOf(acknowledged);

    expect(error.name).toBe('Handover.ConsumerRejected');
    expect(error.message).toBe('smoke test failed on the new key');
  });

  it('times out when nobody acknowledges (the event went to a bus no rule listens on)', async () => {
    subscribeConsumer();
    const token = world.emulator.stepFunctions.createTaskToken();
    const acknowledged = world.emulator.stepFunctions.waitForTaskToken(token, 200);

    const published = await world.adapters.event.update(
      { ...consumer, eventBusName: 'typo-bus' },
      world.update(secret.arn, secret.newVersion, { taskToken: token }),
    );
    const error = await rejectionOf(acknowledged);
    const late = await rejectionOf(
      world.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    );

    expect(published.outcome).toBe('published');
    expect(error.name).toBe('States.Timeout');
    expect(late).toBeInstanceOf(TaskTimedOut);
  });

  it('gets the new token acknowledged when a timed-out task is retried, without a second deployment', async () => {
    const { deployed } = subscribeConsumer();
    const update = world.update(secret.arn, secret.newVersion);
    // Attempt 1: the runner gives up before the consumer answers.
    const first = world.emulator.stepFunctions.createTaskToken();
    const firstWait = world.emulator.stepFunctions.waitForTaskToken(first, 0);
    await rejectionOf(firstWait);
    await world.adapters.event.update(consumer, { ...update, taskToken: first });
    await world.emulator.eventBridge.settled();
    // Attempt 2 (the state machine's Retry): a new token, the same idempotency key.
    const second = world.emulator.stepFunctions.createTaskToken();
    const secondWait = world.emulator.stepFunctions.waitForTaskToken(second, 5000);

    await world.adapters.event.update(consumer, { ...update, taskToken: second });

    await expect(secondWait).resolves.toMatchObject({ usingVersion: secret.newVersion });
    expect(deployed.size).toBe(1);
    expect(world.emulator.eventBridge.deliveryErrors.map((e) => e.name)).toEqual(['TaskTimedOut']);
  });
});
