import { randomUUID } from 'node:crypto';
import { AwsServiceError, QUERY_ERROR, queryError } from './errors';
import type { OperationInput } from './input';
import type { ProtocolHandler } from './protocol';
import { createQueryHandler } from './query-protocol';

/**
 * SNS for the emulator: CreateTopic, DeleteTopic and Publish over the protocol the installed
 * `@aws-sdk/client-sns` speaks: the Query protocol (form-encoded `Action=Publish&Version=2010-03-31`,
 * XML responses). Published messages are recorded for tests to read.
 *
 * Semantics kept from SNS: CreateTopic is idempotent (same name, same ARN); Publish to a topic that
 * does not exist is `NotFound` (404); an empty message is `InvalidParameter`; a `Subject` longer
 * than 100 characters, or with a line break or control character, is `InvalidParameter`; a message
 * above 256 KB is `InvalidParameter`.
 *
 * Not emulated: subscriptions and delivery, FIFO topics, message attributes (ignored), message
 * structure `json`, SMS, mobile push, access policies.
 */

/** Every SNS operation the emulator implements. */
export const SNS_OPERATIONS = ['CreateTopic', 'DeleteTopic', 'Publish'] as const;
/** An SNS operation the emulator implements. */
export type SnsOperation = (typeof SNS_OPERATIONS)[number];

/** SNS's API version and XML namespace. */
export const SNS_VERSION = '2010-03-31';
export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** Query error codes SNS returns, with their HTTP status. */
export const SNS_ERROR = {
  notFound: { code: 'NotFound', status: 404 },
  invalidParameter: { code: 'InvalidParameter', status: 400 },
} as const;

const snsError = (kind: (typeof SNS_ERROR)[keyof typeof SNS_ERROR], message: string) =>
  new AwsServiceError(kind.code, message, kind.status);

/** Whether a subject has a control character (line breaks included), which SNS rejects. */
const hasControlCharacter = (text: string) =>
  [...text].some((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_MESSAGE_BYTES = 256 * 1024;

/** A message Publish accepted. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly timestamp: Date;
}

/** Options of the SNS model. */
export interface SnsOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

function member(input: OperationInput, name: string): string | undefined {
  const value = input[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The SNS model: topics and the messages published to them. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const topicArn = emulator.sns.createTopic('handover-notifications');
 * // ... the workflow publishes ...
 * expect(emulator.sns.messages(topicArn)[0]?.subject).toContain('rotated');
 * ```
 */
export class SnsService {
  readonly region: string;
  readonly accountId: string;
  readonly #now: () => Date;
  readonly #topics = new Set<string>();
  readonly #messages: PublishedMessage[] = [];

  readonly #operations: Record<SnsOperation, (input: OperationInput) => object> = {
    CreateTopic: (input) => ({ TopicArn: this.createTopic(member(input, 'Name') ?? '') }),
    DeleteTopic: (input) => this.#deleteTopic(input),
    Publish: (input) => this.#publish(input),
  };

  constructor(options: SnsOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is an SNS operation the emulator implements. */
  static isOperation(operation: string): operation is SnsOperation {
    return (SNS_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: SnsOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Creates a topic (idempotent) and returns its ARN. */
  createTopic(name: string): string {
    if (!TOPIC_NAME.test(name)) {
      throw snsError(
        SNS_ERROR.invalidParameter,
        'Invalid parameter: Topic Name must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.',
      );
    }
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    this.#topics.add(arn);
    return arn;
  }

  /** The messages published so far (to `topicArn`, when given), oldest first. */
  messages(topicArn?: string): readonly PublishedMessage[] {
    return this.#messages.filter((message) => topicArn === undefined || message.topicArn === topicArn);
  }

  /** Forgets recorded messages (topics stay). */
  clear(): void {
    this.#messages.length = 0;
  }

  #deleteTopic(input: OperationInput): object {
    const arn = member(input, 'TopicArn');
    if (arn !== undefined) this.#topics.delete(arn);
    return {};
  }

  #publish(input: OperationInput): object {
    const topicArn = member(input, 'TopicArn') ?? member(input, 'TargetArn');
    if (topicArn === undefined || topicArn === '') {
      throw snsError(
        SNS_ERROR.invalidParameter,
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const message = member(input, 'Message');
    if (message === undefined) {
      throw queryError(
        QUERY_ERROR.validation,
        "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
      );
    }
    if (message === '') throw snsError(SNS_ERROR.invalidParameter, 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw snsError(SNS_ERROR.invalidParameter, 'Invalid parameter: Message too long');
    }
    const subject = member(input, 'Subject');
    if (subject !== undefined && (subject === '' || subject.length > 100 || hasControlCharacter(subject))) {
      throw snsError(SNS_ERROR.invalidParameter, 'Invalid parameter: Subject');
    }
    if (!this.#topics.has(topicArn)) throw snsError(SNS_ERROR.notFound, 'Topic does not exist');
    const published: PublishedMessage = {
      messageId: randomUUID(),
      topicArn,
      ...(subject === undefined ? {} : { subject }),
      message,
      timestamp: this.#now(),
    };
    this.#messages.push(published);
    return { MessageId: published.messageId };
  }
}

/** Serves an {@link SnsService} over the Query protocol (service name `sns`). */
export function createSnsHandler(sns: SnsService): ProtocolHandler {
  return createQueryHandler({
    service: 'sns',
    version: SNS_VERSION,
    xmlns: SNS_XMLNS,
    isOperation: (action) => SnsService.isOperation(action),
    resourceMembers: ['TopicArn', 'Name'],
    invoke: (action, input) => {
      if (!SnsService.isOperation(action)) {
        throw queryError(
          QUERY_ERROR.invalidAction,
          `Could not find operation ${action} for version ${SNS_VERSION}`,
        );
      }
      return sns.invoke(action, input);
    },
  });
}
