import type { HttpResponse } from './protocol';
import { escapeXml } from './xml';

/**
 * Errors the emulator returns to AWS SDK clients, in ONE place: the error class every service
 * throws, the codes and HTTP statuses of the errors every service shares (authentication,
 * malformed requests, throttling), and the wire shape of an error in each protocol:
 *
 * - AWS JSON 1.0 / 1.1 (Secrets Manager, SSM, EventBridge, Step Functions, CloudWatch): the status,
 *   `{"__type": "<Code>", "message": "..."}`, content type `application/x-amz-json-1.x`.
 * - AWS Query (IAM, STS, RDS, SNS): the status, XML
 *   `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * - REST-JSON (Lambda): the status, the code in the `x-amzn-errortype` header, a JSON body.
 *
 * Service-specific exception names (`ResourceNotFoundException`, `NoSuchEntity`, ...) live with
 * their service model. Messages carry secret names, ARNs, version ids, key ids and stage names
 * only, never a secret value.
 */

/** The wire protocols of the emulated services, by their Smithy names. */
export type AwsProtocol = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'restJson1';

/** Exception names the JSON services return, as they appear in `__type`. */
export const ERROR_TYPE = {
  resourceNotFound: 'ResourceNotFoundException',
  invalidRequest: 'InvalidRequestException',
  invalidParameter: 'InvalidParameterException',
  invalidNextToken: 'InvalidNextTokenException',
  resourceExists: 'ResourceExistsException',
  throttling: 'ThrottlingException',
  internal: 'InternalServiceError',
  serialization: 'SerializationException',
  unknownOperation: 'UnknownOperationException',
} as const;

/**
 * An error an emulated AWS service returns. The protocol handler turns it into the wire format of
 * the service ({@link jsonErrorResponse}, {@link queryErrorResponse}, {@link restJsonErrorResponse}).
 *
 * @example
 * ```ts
 * throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
 * ```
 */
export class AwsServiceError extends Error {
  /** The exception name or error code, e.g. `ResourceNotFoundException`, `NoSuchEntity`. */
  readonly type: string;
  /** The HTTP status code the error is sent with. */
  readonly status: number;
  /**
   * Further members of the error's body, for the JSON protocols (DynamoDB's
   * `ConditionalCheckFailedException` carries the `Item`). @default - none
   */
  readonly members: Readonly<Record<string, unknown>>;

  constructor(
    type: string,
    message: string,
    status = 400,
    options?: ErrorOptions & { readonly members?: Readonly<Record<string, unknown>> },
  ) {
    super(message, options);
    this.name = 'AwsServiceError';
    this.type = type;
    this.status = status;
    this.members = options?.members ?? {};
  }
}

/** `ResourceNotFoundException` (HTTP 400). */
export function resourceNotFound(message: string): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.resourceNotFound, message);
}

/** `InvalidRequestException` (HTTP 400): the request is valid but not in the secret's current state. */
export function invalidRequest(message: string): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.invalidRequest, message);
}

/** `InvalidParameterException` (HTTP 400): a parameter has a value that is not allowed. */
export function invalidParameter(message: string): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.invalidParameter, message);
}

/** `ResourceExistsException` (HTTP 400). */
export function resourceExists(message: string): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.resourceExists, message);
}

/** `ThrottlingException` (HTTP 400); the SDK retries it. */
export function throttling(message = 'Rate exceeded'): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.throttling, message);
}

/** `InternalServiceError` (HTTP 500); the SDK retries it. */
export function internalServiceError(message = 'An error occurred on the server side.'): AwsServiceError {
  return new AwsServiceError(ERROR_TYPE.internal, message, 500);
}

/**
 * Error codes of the AWS Query protocol services (IAM, STS, SNS) that the emulator returns, with the
 * HTTP status the real services send them with.
 */
export const QUERY_ERROR = {
  /** 400: the request is malformed or a parameter breaks a constraint. */
  validation: { code: 'ValidationError', status: 400 },
  /** 400: no `Action` in the request. */
  missingAction: { code: 'MissingAction', status: 400 },
  /** 400: the `Action` does not exist (for this `Version`). */
  invalidAction: { code: 'InvalidAction', status: 400 },
  /** 404: IAM's "not found". */
  noSuchEntity: { code: 'NoSuchEntity', status: 404 },
  /** 409: IAM's quota error (for example a third access key). */
  limitExceeded: { code: 'LimitExceeded', status: 409 },
  /** 409: IAM's "already exists". */
  entityAlreadyExists: { code: 'EntityAlreadyExists', status: 409 },
} as const;

/** One of {@link QUERY_ERROR}. */
export type QueryErrorKind = (typeof QUERY_ERROR)[keyof typeof QUERY_ERROR];

/** Builds an `AwsServiceError` with a Query protocol error code and its HTTP status. */
export function queryError(kind: QueryErrorKind, message: string): AwsServiceError {
  return new AwsServiceError(kind.code, message, kind.status);
}

/** The three ways the emulated protocols spell the same error: JSON, Query, REST-JSON. */
type ByFamily = {
  readonly json: { readonly code: string; readonly status: number };
  readonly query: { readonly code: string; readonly status: number };
  readonly restJson: { readonly code: string; readonly status: number };
};

/**
 * Authentication failures, which every service checks before it looks at the operation, with the
 * code and HTTP status of each protocol family as AWS sends them (AWS "Common Errors" pages; the
 * JSON services answer 400 with an `...Exception` name, the Query services 403 with the bare code,
 * REST-JSON services such as Lambda 403 with the `...Exception` name):
 *
 * - `missingAuthenticationToken`: the request is not signed.
 * - `incompleteSignature`: the `Authorization` header lacks a part, or `X-Amz-Date` is missing.
 * - `unrecognizedClient`: the access key id is unknown, deleted, Inactive or not propagated yet.
 * - `signatureDoesNotMatch`: the signature is not the one the key's secret produces, the credential
 *   scope names another service, or `X-Amz-Date` is more than 15 minutes off (`Signature expired`).
 */
export const AUTH_ERROR = {
  missingAuthenticationToken: {
    json: { code: 'MissingAuthenticationTokenException', status: 400 },
    query: { code: 'MissingAuthenticationToken', status: 403 },
    restJson: { code: 'MissingAuthenticationTokenException', status: 403 },
  },
  incompleteSignature: {
    json: { code: 'IncompleteSignatureException', status: 400 },
    query: { code: 'IncompleteSignature', status: 400 },
    restJson: { code: 'IncompleteSignatureException', status: 403 },
  },
  unrecognizedClient: {
    json: { code: 'UnrecognizedClientException', status: 400 },
    query: { code: 'InvalidClientTokenId', status: 403 },
    restJson: { code: 'UnrecognizedClientException', status: 403 },
  },
  signatureDoesNotMatch: {
    json: { code: 'InvalidSignatureException', status: 400 },
    query: { code: 'SignatureDoesNotMatch', status: 403 },
    restJson: { code: 'InvalidSignatureException', status: 403 },
  },
} as const satisfies Record<string, ByFamily>;

/** One of the authentication failures of {@link AUTH_ERROR}. */
export type AuthFailure = keyof typeof AUTH_ERROR;

/** The default message AWS sends with each authentication failure. */
export const AUTH_MESSAGE: Readonly<Record<AuthFailure, string>> = {
  missingAuthenticationToken: 'Request is missing Authentication Token',
  incompleteSignature:
    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
  unrecognizedClient: 'The security token included in the request is invalid.',
  signatureDoesNotMatch:
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret ' +
    'Access Key and signing method. Consult the service documentation for details.',
};

function familyOf(protocol: AwsProtocol): keyof ByFamily {
  if (protocol === 'awsQuery') return 'query';
  if (protocol === 'restJson1') return 'restJson';
  return 'json';
}

/**
 * The error a service of `protocol` answers an authentication failure with.
 *
 * @example
 * ```ts
 * authError('unrecognizedClient', 'awsQuery'); // InvalidClientTokenId, HTTP 403
 * authError('unrecognizedClient', 'awsJson1_1'); // UnrecognizedClientException, HTTP 400
 * ```
 */
export function authError(failure: AuthFailure, protocol: AwsProtocol, message?: string): AwsServiceError {
  const { code, status } = AUTH_ERROR[failure][familyOf(protocol)];
  return new AwsServiceError(code, message ?? AUTH_MESSAGE[failure], status);
}

/** An AWS JSON 1.0 / 1.1 error: `{"__type", "message"}` (and the error's `members`) with the error's status. */
export function jsonErrorResponse(
  error: AwsServiceError,
  requestId: string,
  jsonVersion: '1.0' | '1.1',
): HttpResponse {
  return {
    status: error.status,
    headers: { 'content-type': `application/x-amz-json-${jsonVersion}`, 'x-amzn-requestid': requestId },
    body: JSON.stringify({ ...error.members, __type: error.type, message: error.message }),
  };
}

/** An AWS Query error: `<ErrorResponse>` in the service's XML namespace, with the error's status. */
export function queryErrorResponse(error: AwsServiceError, requestId: string, xmlns: string): HttpResponse {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type>` +
      `<Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** A REST-JSON error: the code in `x-amzn-errortype`, `body` as JSON, with the error's status. */
export function restJsonErrorResponse(
  error: AwsServiceError,
  requestId: string,
  body: Record<string, unknown> = { message: error.message },
): HttpResponse {
  return {
    status: error.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.type,
    },
    body: JSON.stringify(body),
  };
}
