import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './auth';
import type { AwsProtocol, AwsServiceError } from './errors';
import type { OperationInput } from './input';

/** An HTTP request as the emulator received it, body fully read. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An HTTP response a protocol handler produced. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One API call, decoded from the wire. */
export interface DecodedCall {
  readonly operation: string;
  readonly input: OperationInput;
  /** The resource the call is about (SecretId, Name, UserName, ...), for the call log. */
  readonly resourceId?: string;
  /** The region of the signature's credential scope (set by the server after decoding). */
  readonly region?: string;
}

/**
 * One AWS service behind one wire protocol (AWS JSON for Secrets Manager; the Query protocol for
 * IAM and STS; REST-JSON for Lambda). The server asks each handler in turn whether it claims a
 * request, then runs the same pipeline for all of them: decode, call log, authentication (SigV4),
 * fault injection, execute, encode.
 */
export interface ProtocolHandler {
  /** The service name used in the call log and by faults, e.g. `secretsmanager`. */
  readonly service: string;
  /** The SigV4 signing name a request's credential scope must carry, e.g. `monitoring` for CloudWatch. */
  readonly signingName: string;
  /** The wire protocol, which decides how errors (authentication errors too) are shaped. */
  readonly protocol: AwsProtocol;
  /** Whether this handler serves the request (by `X-Amz-Target`, `Action`, path, ...). */
  claims(request: HttpRequest): boolean;
  /** Decodes the request; throws `AwsServiceError` when it is malformed or the operation is unknown. */
  decode(request: HttpRequest): DecodedCall;
  /** Runs the operation on the service model for the authenticated caller; throws `AwsServiceError`. */
  execute(call: DecodedCall, caller: Principal): Promise<object>;
  /** Encodes a successful response. */
  encodeResult(call: DecodedCall, output: object, requestId: string): HttpResponse;
  /** Encodes an error response. */
  encodeError(error: AwsServiceError, requestId: string): HttpResponse;
}
