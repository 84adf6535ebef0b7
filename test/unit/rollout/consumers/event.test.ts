import { EventBridgeClient, InternalException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventAdapter,
  ROTATION_EVENT_DETAIL_TYPE,
  ROTATION_EVENT_SOURCE,
  type RotationEventDetail,
  rotationEventDetail,
} from '../../../../lambdas/rollout/consumers';
import type { EventConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { anUpdate, fakeClock, NEW_VERSION, recordingLogger, rejectionOf, SECRET_ARN } from './helpers';

const consumer: EventConsumer = {
  kind: 'event',
  name: 'ci-deploy',
  eventBusName: 'platform',
  timeoutSeconds: 900,
};
const TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAS1yZWFsLWxvb2tpbmctdGFzay10b2tlbi0xMjM0NTY3ODkw'quote";
const meta = { $metadata: {} };

const eventBridge = mockClient(EventBridgeClient);

function adapter(logger = recordingLogger()) {
  return createEventAdapter({
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    clock: fakeClock(Date.parse('2026-11-21T10:00:00Z')),
    logger,
  });
}

beforeEach(() => {
  eventBridge.reset();
});

afterEach(() => {
  eventBridge.reset();
});

describe('Function: createEventAdapter', () => {
  describe('update', () => {
    it('publishes one Handover Credential Rotated event with the task token and returns published', async () => {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });

      const result = await adapter().update(consumer, anUpdate({ taskToken: TOKEN }));

      expect(result).toMatchObject({ consumer: 'ci-deploy', kind: 'event', outcome: 'published' });
      expect(result.detail).toBe(
        'event evt-1 on bus platform; waiting for SendTaskSuccess until 2026-11-21T10:15:00.000Z',
      );
      const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
      expect(entry).toMatchObject({
        Source: ROTATION_EVENT_SOURCE,
        DetailType: ROTATION_EVENT_DETAIL_TYPE,
        EventBusName: 'platform',
        Resources: [SECRET_ARN],
      });
      const detail = JSON.parse(entry?.Detail ?? '{}') as RotationEventDetail;
      expect(detail).toMatchObject({
        secretArn: SECRET_ARN,
        versionId: NEW_VERSION,
        consumer: 'ci-deploy',
        rolloutId: 'rollout-2026-11-21-abc',
        mode: 'scheduled',
        taskToken: TOKEN,
        idempotencyKey: 'rollout-2026-11-21-abc:ci-deploy',
        respondBy: '2026-11-21T10:15:00.000Z',
      });
    });

    it('publishes on the default bus when none is configured', async () => {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });

      await adapter().update({ kind: 'event', name: 'k8s' }, anUpdate({ taskToken: TOKEN }));

      expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe(
        'default',
      );
    });

    it('fails without publishing when there is no task token', async () => {
      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('.waitForTaskToken');
      expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    });

    it('fails with the entry error when EventBridge rejects the event', async () => {
      eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [
          { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
        ],
      });

      const error = await rejectionOf(adapter().update(consumer, anUpdate({ taskToken: TOKEN })));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toBe(
        'event consumer "ci-deploy": EventBridge rejected the event on bus platform: NotAuthorizedForSourceException: Not authorized for the source.',
      );
    });

    it('fails with a ConsumerError when PutEvents fails, without the token in the message or the log', async () => {
      eventBridge
        .on(PutEventsCommand)
        .rejects(new InternalException({ message: `failed for ${TOKEN}`, ...meta }));
      const logger = recordingLogger();

      const error = await rejectionOf(adapter(logger).update(consumer, anUpdate({ taskToken: TOKEN })));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('InternalException');
      expect(error.message).not.toContain(TOKEN);
      expect(logger.text()).not.toContain(TOKEN);
    });

    it('publishes again with the new token when re-run by a retried task', async () => {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt' }] });

      await adapter().update(consumer, anUpdate({ taskToken: `${TOKEN}-1` }));
      await adapter().update(consumer, anUpdate({ taskToken: `${TOKEN}-2` }));

      const details = eventBridge
        .commandCalls(PutEventsCommand)
        .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}') as RotationEventDetail);
      expect(details.map((d) => d.taskToken)).toEqual([`${TOKEN}-1`, `${TOKEN}-2`]);
      expect(new Set(details.map((d) => d.idempotencyKey)).size).toBe(1);
    });

    it('never logs the task token', async () => {
      eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
      const logger = recordingLogger();

      await adapter(logger).update(consumer, anUpdate({ taskToken: TOKEN }));

      expect(logger.lines).toHaveLength(1);
      expect(logger.text()).not.toContain('real-looking-task-token');
    });
  });

  describe('verify', () => {
    it('returns verified without a call: the acknowledgement is the verification', async () => {
      const result = await adapter().verify(consumer, anUpdate());

      expect(result).toEqual({
        consumer: 'ci-deploy',
        kind: 'event',
        outcome: 'verified',
        detail: 'acknowledged with SendTaskSuccess',
      });
      expect(eventBridge.calls()).toHaveLength(0);
    });
  });

  describe('Function: rotationEventDetail', () => {
    it('gives copy-pasteable CLI commands with the token shell-quoted', () => {
      const detail = rotationEventDetail(
        { kind: 'event', name: 'ci' },
        { ...anUpdate(), taskToken: "tok'en" },
        new Date('2026-11-21T10:00:00Z'),
      );

      expect(detail.acknowledge).toBe(
        `aws stepfunctions send-task-success --task-token 'tok'\\''en' --task-output '{}'`,
      );
      expect(detail.reject).toContain(
        "send-task-failure --task-token 'tok'\\''en' --error Handover.ConsumerRejected",
      );
      expect(detail.respondBy).toBe('2026-11-21T11:00:00.000Z');
    });

    it('never carries a secret value: only ARN, version id, names and the token', () => {
      const detail = rotationEventDetail(
        { kind: 'event', name: 'ci' },
        { ...anUpdate(), taskToken: 't' },
        new Date(0),
      );

      expect(Object.keys(detail).sort()).toEqual(
        [
          'acknowledge',
          'consumer',
          'idempotencyKey',
          'mode',
          'reject',
          'respondBy',
          'rolloutId',
          'secretArn',
          'taskToken',
          'versionId',
        ].sort(),
      );
    });
  });
});
