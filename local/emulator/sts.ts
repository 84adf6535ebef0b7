import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { Principal } from './auth';
import { QUERY_ERROR, queryError } from './errors';
import type { OperationInput } from './input';
import type { ProtocolHandler } from './protocol';
import { createQueryHandler } from './query-protocol';

/** Every STS operation the emulator implements. */
export const STS_OPERATIONS = ['GetCallerIdentity'] as const;
/** An STS operation the emulator implements. */
export type StsOperation = (typeof STS_OPERATIONS)[number];

/** STS's API version and XML namespace. */
export const STS_VERSION = '2011-06-15';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * The STS model: GetCallerIdentity answers who signed the request. Authentication itself (the
 * signature, unknown, deleted, Inactive or not yet propagated keys are `InvalidClientTokenId`, a
 * wrong secret `SignatureDoesNotMatch`) is the `Authenticator`'s, which the server runs before
 * every call; the bootstrap credentials are the account's root.
 *
 * @example
 * ```ts
 * const sts = new StsService();
 * sts.invoke('GetCallerIdentity', {}, caller);
 * // { UserId: 'AIDA...', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/app' }
 * ```
 */
export class StsService {
  /** Whether `operation` is an STS operation the emulator implements. */
  static isOperation(operation: string): operation is StsOperation {
    return (STS_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one STS operation for the caller that signed the request. */
  invoke(_operation: StsOperation, _input: OperationInput, caller: Principal): object {
    const response: GetCallerIdentityResponse = {
      UserId: caller.principalId,
      Account: caller.accountId,
      Arn: caller.arn,
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
