import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { TargetError } from '../../shared/errors';
import type { AccessKeyCredentials, IamApiCall, IamSend, StsClientFactory } from './options';
import { maskAccessKeyIds } from './schema';

/** The AWS error code of an SDK error (`NoSuchEntity`, `InvalidClientTokenId`, ...), if it is one. */
export function awsErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { Code?: unknown }).Code;
  if (typeof code === 'string' && code !== '') return code;
  return error.name === 'Error' ? undefined : error.name.replace(/Exception$/, '');
}

/**
 * `Code: message (request id ...)` of an SDK error, with access key ids masked. The SDK error is
 * not kept as a cause: its message and response carry full key ids.
 */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return maskAccessKeyIds(String(error));
  const code = awsErrorCode(error) ?? error.name;
  const requestId = (error as { $metadata?: { requestId?: unknown } }).$metadata?.requestId;
  const id = typeof requestId === 'string' ? ` (request id ${requestId})` : '';
  return maskAccessKeyIds(`${code}: ${error.message}${id}`);
}

/** A `TargetError` for a failed IAM / STS call: what was attempted, and AWS's answer. */
export function targetError(what: string, error: unknown): TargetError {
  return new TargetError(`${what} failed: ${describeAwsError(error)}`);
}

/** One access key of a user, as ListAccessKeys reports it. */
export interface KeyInfo {
  readonly id: string;
  readonly status: string;
  readonly createDate?: Date;
}

/** The last use of an access key, as GetAccessKeyLastUsed reports it. */
export interface LastUse {
  readonly userName?: string;
  readonly date?: Date;
  readonly service?: string;
  readonly region?: string;
}

/** Who an access key authenticates as, from STS GetCallerIdentity. */
export interface CallerIdentity {
  readonly arn?: string;
  readonly account?: string;
}

/**
 * The IAM and STS calls the strategy makes, each reported to `onCall` first. SDK errors are
 * thrown as they are; callers classify them with {@link awsErrorCode}.
 */
export function createIamApi(iam: IamSend, sts: StsClientFactory, onCall?: (call: IamApiCall) => void) {
  const call = (service: IamApiCall['service'], operation: string) => onCall?.({ service, operation });
  return {
    async listKeys(userName: string): Promise<KeyInfo[]> {
      const keys: KeyInfo[] = [];
      let marker: string | undefined;
      do {
        call('iam', 'ListAccessKeys');
        const out = await iam.send(
          new ListAccessKeysCommand({ UserName: userName, ...(marker !== undefined && { Marker: marker }) }),
        );
        for (const key of out.AccessKeyMetadata ?? []) {
          if (key.AccessKeyId === undefined) continue;
          keys.push({
            id: key.AccessKeyId,
            status: key.Status ?? 'Unknown',
            ...(key.CreateDate !== undefined && { createDate: key.CreateDate }),
          });
        }
        marker = out.IsTruncated === true ? out.Marker : undefined;
      } while (marker !== undefined);
      return keys;
    },
    async createKey(userName: string): Promise<AccessKeyCredentials> {
      call('iam', 'CreateAccessKey');
      const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const accessKeyId = out.AccessKey?.AccessKeyId;
      const secretAccessKey = out.AccessKey?.SecretAccessKey;
      if (accessKeyId === undefined || secretAccessKey === undefined) {
        throw new TargetError(`iam:CreateAccessKey for IAM user "${userName}" returned no access key`);
      }
      return { accessKeyId, secretAccessKey };
    },
    async deleteKey(userName: string, accessKeyId: string): Promise<void> {
      call('iam', 'DeleteAccessKey');
      await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    },
    async setStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
      call('iam', 'UpdateAccessKey');
      await iam.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
      );
    },
    async lastUse(accessKeyId: string): Promise<LastUse> {
      call('iam', 'GetAccessKeyLastUsed');
      const out = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
      const used = out.AccessKeyLastUsed;
      return {
        ...(out.UserName !== undefined && { userName: out.UserName }),
        ...(used?.LastUsedDate !== undefined && { date: used.LastUsedDate }),
        ...(used?.ServiceName !== undefined && { service: used.ServiceName }),
        ...(used?.Region !== undefined && { region: used.Region }),
      };
    },
    async userArn(userName: string): Promise<string> {
      call('iam', 'GetUser');
      const out = await iam.send(new GetUserCommand({ UserName: userName }));
      const arn = out.User?.Arn;
      if (arn === undefined) throw new TargetError(`iam:GetUser for IAM user "${userName}" returned no ARN`);
      return arn;
    },
    /** GetCallerIdentity signed with `credentials`, on a client built for this call only. */
    async callerIdentity(credentials: AccessKeyCredentials): Promise<CallerIdentity> {
      const client = sts(credentials);
      try {
        call('sts', 'GetCallerIdentity');
        const out = await client.send(new GetCallerIdentityCommand({}));
        return {
          ...(out.Arn !== undefined && { arn: out.Arn }),
          ...(out.Account !== undefined && { account: out.Account }),
        };
      } finally {
        (client as { destroy?: () => void }).destroy?.();
      }
    },
  };
}

/** The IAM / STS API the strategy uses. */
export type IamApi = ReturnType<typeof createIamApi>;
