import {
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerSend } from '../../lambdas/rotation/secrets-port';
import {
  AwsServiceError,
  type SecretsManagerOperation,
  type SecretsManagerService,
} from '../../local/emulator';

/** Where a fault hits a call: before the service applies it, or after (a lost response). */
export type FaultTiming = 'before' | 'after';

export interface InProcessClient extends SecretsManagerSend {
  /** Every call, in order: the operation name only. */
  readonly calls: string[];
  /** Fails call number `index` (0-based, counted over every call) before or after it applies. */
  failCall(index: number, timing: FaultTiming): void;
}

/**
 * An SDK-shaped Secrets Manager client that calls the emulator's service model in-process: unit
 * tests get the real service semantics with no network. Service errors become the SDK's
 * exception classes, as they would over the wire.
 */
export function inProcessSecretsClient(service: SecretsManagerService): InProcessClient {
  const calls: string[] = [];
  let fault: { index: number; timing: FaultTiming } | undefined;
  const client: InProcessClient = {
    calls,
    failCall(index, timing) {
      fault = { index, timing };
    },
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the SDK's overloaded send signature
    send: (async (command: { constructor: { name: string }; input: object }): Promise<any> => {
      const operation = command.constructor.name.replace(/Command$/, '') as SecretsManagerOperation;
      const index = calls.push(operation) - 1;
      const failing = fault?.index === index ? fault : undefined;
      if (failing?.timing === 'before') throw injected(operation, 'before');
      let output: object;
      try {
        output = service.invoke(operation, command.input as Record<string, unknown>);
      } catch (error) {
        throw toSdkError(error);
      }
      if (failing?.timing === 'after') throw injected(operation, 'after');
      // A copy, with timestamps as Dates, as the SDK deserializes them.
      return JSON.parse(JSON.stringify(output), (key, value) =>
        key.endsWith('Date') && typeof value === 'string' ? new Date(value) : value,
      );
    }) as SecretsManagerSend['send'],
  };
  return client;
}

function injected(operation: string, timing: FaultTiming): Error {
  return new SecretsManagerServiceException({
    name: 'InternalServiceError',
    $fault: 'server',
    $metadata: {},
    message: `injected failure ${timing} ${operation}`,
  });
}

function toSdkError(error: unknown): unknown {
  if (!(error instanceof AwsServiceError)) return error;
  if (error.type === 'ResourceNotFoundException') {
    return new ResourceNotFoundException({ $metadata: {}, message: error.message });
  }
  if (error.type === 'ResourceExistsException') {
    return new ResourceExistsException({ $metadata: {}, message: error.message });
  }
  return new SecretsManagerServiceException({
    name: error.type,
    $fault: error.status >= 500 ? 'server' : 'client',
    $metadata: {},
    message: error.message,
  });
}
