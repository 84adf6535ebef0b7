import { AwsServiceError, ERROR_TYPE, jsonErrorResponse } from './errors';
import type { OperationInput } from './input';
import type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';

/** What an AWS JSON service needs to be served. */
export interface AwsJsonServiceOptions {
  /** The service name for the call log and faults, e.g. `secretsmanager`. */
  readonly service: string;
  /** The SigV4 signing name. @default - `service` */
  readonly signingName?: string;
  /** The `X-Amz-Target` prefix before the dot, e.g. `secretsmanager`. */
  readonly targetPrefix: string;
  /** `1.0` or `1.1`: the `application/x-amz-json-<version>` content type. */
  readonly jsonVersion: '1.0' | '1.1';
  /** Whether the service implements `operation`. */
  readonly isOperation: (operation: string) => boolean;
  /** Runs an operation on the service model. */
  readonly invoke: (operation: string, input: OperationInput) => object | Promise<object>;
  /** Blob members: base64 on the wire, `Uint8Array` in the model. @default - none */
  readonly blobMembers?: readonly string[];
  /** The input member naming the resource, for the call log. @default ['SecretId', 'Name'] */
  readonly resourceMembers?: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeBlobs(value: unknown, blobs: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => decodeBlobs(item, blobs));
  if (!isPlainObject(value)) return value;
  const decoded: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    decoded[key] =
      blobs.has(key) && typeof member === 'string'
        ? new Uint8Array(Buffer.from(member, 'base64'))
        : decodeBlobs(member, blobs);
  }
  return decoded;
}

/** Model values to AWS JSON: dates as epoch seconds, blobs as base64. */
export function toAwsJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toAwsJson);
  if (isPlainObject(value)) {
    const encoded: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) encoded[key] = toAwsJson(member);
    }
    return encoded;
  }
  return value;
}

/**
 * Serves one AWS JSON service (`POST /`, `X-Amz-Target: <prefix>.<Operation>`, JSON body; errors
 * as `{"__type", "message"}` with the error's HTTP status, see `jsonErrorResponse`).
 */
export function createAwsJsonHandler(options: AwsJsonServiceOptions): ProtocolHandler {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const blobs = new Set(options.blobMembers ?? []);
  const resourceMembers = options.resourceMembers ?? ['SecretId', 'Name'];
  const prefix = `${options.targetPrefix}.`;
  const targetOf = (request: HttpRequest): string | undefined => {
    const target = request.headers['x-amz-target'];
    return typeof target === 'string' ? target : undefined;
  };
  const respond = (status: number, body: unknown, requestId: string): HttpResponse => ({
    status,
    headers: { 'content-type': contentType, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  });

  return {
    service: options.service,
    signingName: options.signingName ?? options.service,
    protocol: options.jsonVersion === '1.0' ? 'awsJson1_0' : 'awsJson1_1',
    claims: (request) => request.method === 'POST' && (targetOf(request)?.startsWith(prefix) ?? false),
    decode: (request: HttpRequest): DecodedCall => {
      const operation = (targetOf(request) ?? '').slice(prefix.length);
      if (!options.isOperation(operation)) {
        throw new AwsServiceError(
          ERROR_TYPE.unknownOperation,
          `The emulator does not implement ${operation}.`,
        );
      }
      let parsed: unknown;
      try {
        parsed = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new AwsServiceError(ERROR_TYPE.serialization, 'The request body is not valid JSON.');
      }
      if (!isPlainObject(parsed)) {
        throw new AwsServiceError(ERROR_TYPE.serialization, 'The request body must be a JSON object.');
      }
      const input = decodeBlobs(parsed, blobs) as OperationInput;
      const resourceId = resourceMembers.map((member) => input[member]).find((v) => typeof v === 'string');
      return { operation, input, ...(typeof resourceId === 'string' && { resourceId }) };
    },
    execute: async (call) => options.invoke(call.operation, call.input),
    encodeResult: (_call, output, requestId) => respond(200, toAwsJson(output), requestId),
    encodeError: (error, requestId) => jsonErrorResponse(error, requestId, options.jsonVersion),
  };
}
