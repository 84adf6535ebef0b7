import { randomUUID } from 'node:crypto';
import type { PutEventsResponse, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { createAwsJsonHandler } from './aws-json-protocol';
import { AwsServiceError } from './errors';
import { type OperationInput, optionalObjectList } from './input';
import type { ProtocolHandler } from './protocol';

/**
 * EventBridge for the emulator: PutEvents over the protocol the installed
 * `@aws-sdk/client-eventbridge` speaks: AWS JSON 1.1 (`X-Amz-Target: AWSEvents.PutEvents`). Every
 * accepted event is recorded and delivered to the listeners tests subscribe (in place of rules
 * and targets), after the PutEvents response, as EventBridge delivers asynchronously.
 *
 * Semantics kept from EventBridge: 1 to 10 entries per call; each entry is accepted or rejected on
 * its own (`FailedEntryCount`, per-entry `ErrorCode` / `ErrorMessage`: `InvalidArgument` for a
 * missing `Source`, `DetailType` or `Detail`, `MalformedDetail` for a `Detail` that is not a JSON
 * object); an event sent to a bus that does not exist is accepted and goes nowhere, as on AWS
 * (subscribe to the bus name you expect).
 *
 * Not emulated: rules, event patterns beyond source / detail-type / bus, targets, archives, replays,
 * the 256 KB request limit.
 */

/** Every EventBridge operation the emulator implements. */
export const EVENTBRIDGE_OPERATIONS = ['PutEvents'] as const;
/** An EventBridge operation the emulator implements. */
export type EventBridgeOperation = (typeof EVENTBRIDGE_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of EventBridge. */
export const EVENTBRIDGE_TARGET_PREFIX = 'AWSEvents';

const MAX_ENTRIES = 10;

/** An event as EventBridge delivers it to a target. */
export interface DeliveredEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
  /** Not in EventBridge's envelope: the bus the event was put on. */
  readonly eventBusName: string;
}

/** Which events a listener receives; an omitted member matches anything. */
export interface EventFilter {
  readonly source?: string;
  readonly detailType?: string;
  /** @default - any bus */
  readonly eventBusName?: string;
}

/** A listener of delivered events; a returned promise is awaited, its failure recorded. */
export type EventListener = (event: DeliveredEvent) => void | Promise<void>;

/** Options of the EventBridge model. */
export interface EventBridgeOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

interface Subscription {
  readonly filter: EventFilter;
  readonly listener: EventListener;
}

function matches(filter: EventFilter, event: DeliveredEvent): boolean {
  return (
    (filter.source === undefined || filter.source === event.source) &&
    (filter.detailType === undefined || filter.detailType === event['detail-type']) &&
    (filter.eventBusName === undefined || filter.eventBusName === event.eventBusName)
  );
}

/** `arn:aws:events:...:event-bus/name` or `name` -> `name`. */
function busName(reference: string | undefined): string {
  if (reference === undefined || reference === '') return 'default';
  const slash = reference.lastIndexOf('event-bus/');
  return slash >= 0 ? reference.slice(slash + 'event-bus/'.length) : reference;
}

/**
 * The EventBridge model: records events and delivers them to subscribed listeners. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const stop = emulator.eventBridge.subscribe({ source: 'handover' }, async (event) => {
 *   await sfn.send(new SendTaskSuccessCommand({ taskToken: String(event.detail.taskToken), output: '{}' }));
 * });
 * ```
 */
export class EventBridgeService {
  readonly region: string;
  readonly accountId: string;
  readonly #now: () => Date;
  readonly #events: DeliveredEvent[] = [];
  readonly #subscriptions = new Set<Subscription>();
  readonly #deliveryErrors: Error[] = [];
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: EventBridgeOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is an EventBridge operation the emulator implements. */
  static isOperation(operation: string): operation is EventBridgeOperation {
    return (EVENTBRIDGE_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(_operation: EventBridgeOperation, input: OperationInput): object {
    return this.#putEvents(input);
  }

  /** The events accepted so far (matching `filter`), oldest first. */
  events(filter: EventFilter = {}): readonly DeliveredEvent[] {
    return this.#events.filter((event) => matches(filter, event));
  }

  /** Delivers every later event matching `filter` to `listener`; returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: EventListener): () => void {
    const subscription = { filter, listener };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }

  /** Errors thrown by listeners (a listener failing does not fail PutEvents, as with a target). */
  get deliveryErrors(): readonly Error[] {
    return [...this.#deliveryErrors];
  }

  /** Resolves once every delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Forgets recorded events and delivery errors (subscriptions stay). */
  clear(): void {
    this.#events.length = 0;
    this.#deliveryErrors.length = 0;
  }

  #putEvents(input: OperationInput): PutEventsResponse {
    const entries = optionalObjectList(input, 'Entries');
    if (entries === undefined || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const results: PutEventsResultEntry[] = entries.map((entry) => this.#accept(entry));
    return {
      FailedEntryCount: results.filter((result) => result.ErrorCode !== undefined).length,
      Entries: results,
    };
  }

  #accept(entry: OperationInput): PutEventsResultEntry {
    const field = (name: string) => {
      const value = entry[name];
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const source = field('Source');
    const detailType = field('DetailType');
    const rawDetail = field('Detail');
    const missing = [
      ['Source', source],
      ['DetailType', detailType],
      ['Detail', rawDetail],
    ].find(([, value]) => value === undefined)?.[0];
    if (missing !== undefined) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.`,
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(rawDetail ?? '');
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const resources = entry.Resources;
    const time = entry.Time;
    const event: DeliveredEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType ?? '',
      source: source ?? '',
      account: this.accountId,
      time: (typeof time === 'number' ? new Date(time * 1000) : this.#now())
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: Array.isArray(resources) ? resources.filter((r): r is string => typeof r === 'string') : [],
      detail: detail as Record<string, unknown>,
      eventBusName: busName(field('EventBusName')),
    };
    this.#events.push(event);
    const listeners = [...this.#subscriptions].filter((s) => matches(s.filter, event));
    if (listeners.length > 0) {
      // After the response, as EventBridge delivers asynchronously.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        for (const { listener } of listeners) {
          try {
            await listener(event);
          } catch (error) {
            this.#deliveryErrors.push(error instanceof Error ? error : new Error(String(error)));
          }
        }
      });
      this.#inFlight.add(delivery);
      void delivery.finally(() => this.#inFlight.delete(delivery));
    }
    return { EventId: event.id };
  }
}

/** Serves an {@link EventBridgeService} over AWS JSON 1.1. */
export function createEventBridgeHandler(eventBridge: EventBridgeService): ProtocolHandler {
  return createAwsJsonHandler({
    service: 'events',
    targetPrefix: EVENTBRIDGE_TARGET_PREFIX,
    jsonVersion: '1.1',
    isOperation: (operation) => EventBridgeService.isOperation(operation),
    invoke: (operation, input) => {
      if (!EventBridgeService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return eventBridge.invoke(operation, input);
    },
    resourceMembers: [],
  });
}
