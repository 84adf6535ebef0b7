import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveredEvent, Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { startTestAws } from './harness';

/**
 * EMULATOR ONLY: the events EventBridge accepted and their delivery are read from the emulator
 * (`eventBridge.events()`, `subscribe`), standing in for rules and targets, which the APIs under
 * test do not create.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: EventBridgeClient;

beforeAll(async () => {
  aws = await startTestAws(['eventbridge']);
  emulator = aws.requireEmulator();
  client = new EventBridgeClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(() => {
  emulator.eventBridge.clear();
});

const entry = (overrides: Record<string, unknown> = {}) => ({
  Source: 'handover',
  DetailType: 'Handover Credential Rotated',
  Detail: JSON.stringify({ versionId: 'v2' }),
  ...overrides,
});

describe('Emulator: EventBridge events and delivery', () => {
  it('records an accepted event in the envelope EventBridge delivers', async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [entry({ EventBusName: 'platform', Resources: ['arn:aws:secretsmanager:x'] })],
      }),
    );

    expect(output.FailedEntryCount).toBe(0);
    const [event] = emulator.eventBridge.events();
    expect(output.Entries?.[0]?.EventId).toBe(event?.id);
    expect(event).toMatchObject({
      version: '0',
      source: 'handover',
      'detail-type': 'Handover Credential Rotated',
      account: '123456789012',
      region: 'us-east-1',
      resources: ['arn:aws:secretsmanager:x'],
      detail: { versionId: 'v2' },
      eventBusName: 'platform',
    });
    expect(event?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('uses the default bus when none is given, and reads a bus ARN as its name', async () => {
    await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/platform' }),
        ],
      }),
    );

    expect(emulator.eventBridge.events().map((e) => e.eventBusName)).toEqual(['default', 'platform']);
  });

  it('stores only the accepted entries of a partly rejected PutEvents', async () => {
    await client.send(
      new PutEventsCommand({ Entries: [entry(), entry({ Source: undefined }), entry({ Detail: '[1,2]' })] }),
    );

    expect(emulator.eventBridge.events()).toHaveLength(1);
  });

  it('delivers matching events to subscribers', async () => {
    const delivered: DeliveredEvent[] = [];
    const stop = emulator.eventBridge.subscribe({ source: 'handover', eventBusName: 'platform' }, (event) => {
      delivered.push(event);
    });

    await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ EventBusName: 'platform' }),
          entry({ Source: 'other', EventBusName: 'platform' }),
          entry(),
        ],
      }),
    );
    await emulator.eventBridge.settled();
    stop();

    expect(delivered.map((e) => [e.source, e.eventBusName])).toEqual([['handover', 'platform']]);
  });

  it('delivers asynchronously, after PutEvents has returned', async () => {
    const delivered: string[] = [];
    const stop = emulator.eventBridge.subscribe({}, (event) => {
      delivered.push(event.id);
    });

    emulator.eventBridge.invoke('PutEvents', { Entries: [entry()] });
    const synchronously = delivered.length;
    await emulator.eventBridge.settled();
    stop();

    expect(synchronously).toBe(0);
    expect(delivered).toHaveLength(1);
  });

  it('stops delivering after unsubscribe', async () => {
    const delivered: string[] = [];
    const stop = emulator.eventBridge.subscribe({ detailType: 'Handover Credential Rotated' }, (e) => {
      delivered.push(e.id);
    });
    stop();

    await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await emulator.eventBridge.settled();

    expect(delivered).toEqual([]);
  });

  it('records a listener failure without failing PutEvents', async () => {
    const stop = emulator.eventBridge.subscribe({}, () => {
      throw new Error('target is down');
    });

    const output = await client.send(new PutEventsCommand({ Entries: [entry()] }));
    await emulator.eventBridge.settled();
    stop();

    expect(output.FailedEntryCount).toBe(0);
    expect(emulator.eventBridge.deliveryErrors.map((e) => e.message)).toEqual(['target is down']);
  });
});
