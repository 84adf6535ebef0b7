import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { IamService } from './iam';
import type { OperationInput } from './input';
import type { ProtocolHandler } from './protocol';
import { createQueryHandler, QUERY_ERROR, queryError, type SigV4Credential } from './query-protocol';

/** Every STS operation the emulator implements. */
export const STS_OPERATIONS = ['GetCallerIdentity'] as const;
/** An STS operation the emulator implements. */
export type StsOperation = (typeof STS_OPERATIONS)[number];

/** STS's API version and XML namespace. */
export const STS_VERSION = '2011-06-15';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * The STS model: GetCallerIdentity answers who signed the request, from the access keys of the
 * emulated IAM. Authentication itself (unknown, deleted, Inactive or not yet propagated keys are
 * `InvalidClientTokenId`) is {@link IamService.authenticate}, which the server runs before every call.
 *
 * @example
 * ```ts
 * const sts = new StsService(iam);
 * sts.invoke('GetCallerIdentity', {}, { accessKeyId: 'AKIA...', date: '20260101', region: 'us-east-1', service: 'sts' });
 * // { UserId: 'AIDA...', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/app' }
 * ```
 */
export class StsService {
  readonly #iam: IamService;

  constructor(iam: IamService) {
    this.#iam = iam;
  }

  /** Whether `operation` is an STS operation the emulator implements. */
  static isOperation(operation: string): operation is StsOperation {
    return (STS_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one STS operation for the caller that signed the request. Throws `AwsServiceError`. */
  invoke(_operation: StsOperation, _input: OperationInput, caller: SigV4Credential | undefined): object {
    const identity = caller === undefined ? undefined : this.#iam.identify(caller.accessKeyId);
    if (identity === undefined) {
      throw queryError(
        QUERY_ERROR.invalidClientTokenId,
        'The security token included in the request is invalid.',
      );
    }
    const response: GetCallerIdentityResponse = {
      UserId: identity.userId,
      Account: identity.accountId,
      Arn: identity.arn,
    };
    return response;
  }
}

/** Serves an {@link StsService} over the Query protocol (service name `sts`). */
export function createStsHandler(sts: StsService): ProtocolHandler {
  return createQueryHandler({
    service: 'sts',
    version: STS_VERSION,
    xmlns: STS_XMLNS,
    isOperation: (action) => StsService.isOperation(action),
    resourceMembers: [],
    invoke: (action, input, caller) => {
      if (!StsService.isOperation(action)) {
        throw queryError(
          QUERY_ERROR.invalidAction,
          `Could not find operation ${action} for version ${STS_VERSION}`,
        );
      }
      return sts.invoke(action, input, caller);
    },
  });
}
