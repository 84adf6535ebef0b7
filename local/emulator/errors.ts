/**
 * Errors the emulator returns to AWS SDK clients. Each one carries the exception name the real
 * service uses (`__type` on the wire) and the HTTP status it is sent with. Messages carry secret
 * names, ARNs, version ids and stage names only, never a secret value.
 */

/** Exception names the emulated services return, as they appear in `__type`. */
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
 * the service (AWS JSON: HTTP `status` with body `{"__type": type, "message": message}`).
 *
 * @example
 * ```ts
 * throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
 * ```
 */
export class AwsServiceError extends Error {
  /** The exception name, e.g. `ResourceNotFoundException`. */
  readonly type: string;
  /** The HTTP status code the error is sent with. */
  readonly status: number;

  constructor(type: string, message: string, status = 400, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsServiceError';
    this.type = type;
    this.status = status;
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
