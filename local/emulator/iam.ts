import { randomBytes } from 'node:crypto';
import type {
  AccessKey,
  AccessKeyMetadata,
  CreateAccessKeyResponse,
  CreateUserResponse,
  GetAccessKeyLastUsedResponse,
  GetUserResponse,
  ListAccessKeysResponse,
  Tag,
  User,
} from '@aws-sdk/client-iam';
import type { Principal } from './auth';
import { type AwsServiceError, QUERY_ERROR, queryError } from './errors';
import { IamPolicies } from './iam-policies';
import type { OperationInput } from './input';
import type { ProtocolHandler } from './protocol';
import { createQueryHandler } from './query-protocol';

/** Every IAM operation the emulator implements. */
export const IAM_OPERATIONS = [
  'AttachRolePolicy',
  'AttachUserPolicy',
  'CreateAccessKey',
  'CreatePolicy',
  'CreateRole',
  'CreateUser',
  'DeleteAccessKey',
  'GetAccessKeyLastUsed',
  'GetRole',
  'GetUser',
  'ListAccessKeys',
  'ListAttachedRolePolicies',
  'ListAttachedUserPolicies',
  'ListRolePolicies',
  'ListUserPolicies',
  'PutRolePolicy',
  'PutUserPolicy',
  'SimulatePrincipalPolicy',
  'UpdateAccessKey',
] as const;
/** An IAM operation the emulator implements. */
export type IamOperation = (typeof IAM_OPERATIONS)[number];

/** IAM's API version and XML namespace. */
export const IAM_VERSION = '2010-05-08';
export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** IAM's quota of access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;

/** Options of the IAM model. */
export interface IamOptions {
  /** The account id in ARNs and caller identities. @default '123456789012' */
  readonly accountId?: string;
  /**
   * How long a new access key is rejected after CreateAccessKey (`InvalidClientTokenId` /
   * `UnrecognizedClientException`), as IAM's eventual consistency makes STS and other services
   * reject new keys for several seconds.
   * Also settable later through {@link IamService.propagationDelayMs}.
   * @default 0
   */
  readonly propagationDelayMs?: number;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

/** Who a valid emulated access key belongs to. */
export interface IamIdentity {
  readonly userName: string;
  readonly userId: string;
  readonly arn: string;
  readonly accountId: string;
  readonly accessKeyId: string;
}

/** The last use of an access key, as GetAccessKeyLastUsed reports it. */
export interface AccessKeyUse {
  readonly date: Date;
  readonly service: string;
  readonly region: string;
}

interface IamUser {
  readonly name: string;
  readonly path: string;
  readonly userId: string;
  readonly arn: string;
  readonly createDate: Date;
  readonly tags: Tag[];
  readonly permissionsBoundary?: string;
}

interface IamAccessKey {
  readonly id: string;
  readonly secret: string;
  readonly userName: string;
  status: 'Active' | 'Inactive';
  readonly createDate: Date;
  lastUsed?: AccessKeyUse;
}

const USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const PATH_PATTERN = /^\/(?:[\x21-\x7e]*\/)?$/;
const ACCESS_KEY_ID_PATTERN = /^\w{16,128}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomFrom(alphabet: string, length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet.charAt(byte % alphabet.length)).join('');
}

function validation(message: string): AwsServiceError {
  return queryError(QUERY_ERROR.validation, message);
}

function optionalMember(input: OperationInput, field: string): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw validation(`${field} must be a single value.`);
  return value;
}

function requiredMember(input: OperationInput, field: string): string {
  const value = optionalMember(input, field);
  if (value === undefined || value === '') {
    const member = field.charAt(0).toLowerCase() + field.slice(1);
    throw validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function checkPattern(field: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) {
    const member = field.charAt(0).toLowerCase() + field.slice(1);
    throw validation(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

function parseTags(input: OperationInput): Tag[] {
  const tags = input.Tags;
  if (tags === undefined || tags === '') return [];
  if (!Array.isArray(tags)) throw validation('Tags must be a list.');
  return tags.map((tag: unknown) => {
    const member = (typeof tag === 'object' && tag !== null ? tag : {}) as OperationInput;
    return { Key: requiredMember(member, 'Key'), Value: optionalMember(member, 'Value') ?? '' };
  });
}

/**
 * The IAM model: users and their access keys, with the semantics the rotation depends on (two keys
 * per user, `LimitExceeded` on a third; `NoSuchEntity`; Active / Inactive keys; last-used records),
 * and the keys every emulated service authenticates with ({@link IamService.usableKey}): a key
 * this IAM issued signs requests only while it exists, is Active and has propagated (see
 * `propagationDelayMs`). Each accepted call by an issued key records its last use (date, service,
 * region). The signature itself is checked by the `Authenticator`.
 *
 * @example
 * ```ts
 * const iam = new IamService({ propagationDelayMs: 2000 });
 * iam.invoke('CreateUser', { UserName: 'app' });
 * const { AccessKey } = iam.invoke('CreateAccessKey', { UserName: 'app' }, undefined);
 * ```
 */
export class IamService {
  readonly accountId: string;
  /** How long a new key is rejected after it was created, in milliseconds. */
  propagationDelayMs: number;
  readonly #now: () => Date;
  readonly #users = new Map<string, IamUser>();
  readonly #keys = new Map<string, IamAccessKey>();

  /** Roles, managed and inline policies, and the policy simulator (`iam-policies.ts`). */
  readonly policies: IamPolicies;

  readonly #operations: Record<
    IamOperation,
    (input: OperationInput, caller: Principal | undefined) => object
  > = {
    AttachRolePolicy: (input) => this.#policy('AttachRolePolicy', input),
    AttachUserPolicy: (input) => this.#policy('AttachUserPolicy', input),
    CreatePolicy: (input) => this.#policy('CreatePolicy', input),
    CreateRole: (input) => this.#policy('CreateRole', input),
    GetRole: (input) => this.#policy('GetRole', input),
    ListAttachedRolePolicies: (input) => this.#policy('ListAttachedRolePolicies', input),
    ListAttachedUserPolicies: (input) => this.#policy('ListAttachedUserPolicies', input),
    ListRolePolicies: (input) => this.#policy('ListRolePolicies', input),
    ListUserPolicies: (input) => this.#policy('ListUserPolicies', input),
    PutRolePolicy: (input) => this.#policy('PutRolePolicy', input),
    PutUserPolicy: (input) => this.#policy('PutUserPolicy', input),
    SimulatePrincipalPolicy: (input) => this.#policy('SimulatePrincipalPolicy', input),
    CreateAccessKey: (input, caller) => this.#createAccessKey(input, caller),
    CreateUser: (input) => this.#createUser(input),
    DeleteAccessKey: (input, caller) => this.#deleteAccessKey(input, caller),
    GetAccessKeyLastUsed: (input) => this.#getAccessKeyLastUsed(input),
    GetUser: (input, caller) => this.#getUser(input, caller),
    ListAccessKeys: (input, caller) => this.#listAccessKeys(input, caller),
    UpdateAccessKey: (input, caller) => this.#updateAccessKey(input, caller),
  };

  constructor(options: IamOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.propagationDelayMs = options.propagationDelayMs ?? 0;
    this.#now = options.now ?? (() => new Date());
    this.policies = new IamPolicies({
      accountId: this.accountId,
      now: this.#now,
      users: {
        user: (name) => {
          const user = this.#users.get(name.toLowerCase());
          return user === undefined
            ? undefined
            : {
                name: user.name,
                arn: user.arn,
                ...(user.permissionsBoundary === undefined
                  ? {}
                  : { permissionsBoundary: user.permissionsBoundary }),
              };
        },
      },
    });
  }

  #policy(operation: string, input: OperationInput): object {
    const run = this.policies.operations[operation];
    if (run === undefined) throw new Error(`no policy operation ${operation}`);
    return run(input);
  }

  /** Whether `operation` is an IAM operation the emulator implements. */
  static isOperation(operation: string): operation is IamOperation {
    return (IAM_OPERATIONS as readonly string[]).includes(operation);
  }

  /**
   * Runs one IAM operation on decoded Query input (every scalar a string) and returns the response
   * members. `caller` is who signed the request (for calls that default to the calling user, such
   * as GetUser without `UserName`). Throws `AwsServiceError`.
   */
  invoke(operation: IamOperation, input: OperationInput, caller?: Principal): object {
    return this.#operations[operation](input, caller);
  }

  /**
   * The secret and owner of an access key that may sign requests now: issued here, not deleted,
   * Active and propagated. `undefined` otherwise. No side effect.
   */
  usableKey(accessKeyId: string): { secretAccessKey: string; identity: IamIdentity } | undefined {
    const key = this.#keys.get(accessKeyId);
    const identity = this.identify(accessKeyId);
    if (key === undefined || identity === undefined) return undefined;
    if (key.status !== 'Active' || !this.#propagated(key)) return undefined;
    return { secretAccessKey: key.secret, identity };
  }

  /** Records that an issued key signed an accepted call to `service` in `region` (GetAccessKeyLastUsed). */
  recordUse(accessKeyId: string, service: string, region: string): void {
    const key = this.#keys.get(accessKeyId);
    if (key !== undefined) key.lastUsed = { date: this.#now(), service, region };
  }

  /** Who an issued, existing access key belongs to (whatever its status); no side effect. */
  identify(accessKeyId: string): IamIdentity | undefined {
    const key = this.#keys.get(accessKeyId);
    const user = key === undefined ? undefined : this.#users.get(key.userName.toLowerCase());
    if (key === undefined || user === undefined) return undefined;
    return {
      userName: user.name,
      userId: user.userId,
      arn: user.arn,
      accountId: this.accountId,
      accessKeyId: key.id,
    };
  }

  /** The access key ids of a user, oldest first (a test helper; no last-used record). */
  accessKeyIdsOf(userName: string): string[] {
    return this.#keysOf(this.#user(userName).name).map((key) => key.id);
  }

  /** The last use of an access key, or `undefined` when it was never used (a test helper). */
  lastUsedOf(accessKeyId: string): AccessKeyUse | undefined {
    return this.#keys.get(accessKeyId)?.lastUsed;
  }

  #propagated(key: IamAccessKey): boolean {
    return this.#now().getTime() - key.createDate.getTime() >= this.propagationDelayMs;
  }

  #user(userName: string): IamUser {
    const user = this.#users.get(userName.toLowerCase());
    if (user === undefined) {
      throw queryError(QUERY_ERROR.noSuchEntity, `The user with name ${userName} cannot be found.`);
    }
    return user;
  }

  /** The user a call is about: `UserName`, or the calling user when it is omitted. */
  #subject(input: OperationInput, caller: Principal | undefined): IamUser {
    const name = optionalMember(input, 'UserName');
    if (name !== undefined && name !== '')
      return this.#user(checkPattern('UserName', name, USER_NAME_PATTERN));
    if (caller?.userName === undefined) {
      throw validation('Must specify userName when calling with non-User credentials');
    }
    return this.#user(caller.userName);
  }

  #keysOf(userName: string): IamAccessKey[] {
    return [...this.#keys.values()].filter((key) => key.userName === userName);
  }

  #key(input: OperationInput, caller: Principal | undefined): IamAccessKey {
    const id = checkPattern('AccessKeyId', requiredMember(input, 'AccessKeyId'), ACCESS_KEY_ID_PATTERN);
    const user = this.#subject(input, caller);
    const key = this.#keys.get(id);
    if (key === undefined || key.userName !== user.name) {
      throw queryError(QUERY_ERROR.noSuchEntity, `The Access Key with id ${id} cannot be found.`);
    }
    return key;
  }

  #userShape(user: IamUser): User {
    return {
      Path: user.path,
      UserName: user.name,
      UserId: user.userId,
      Arn: user.arn,
      CreateDate: user.createDate,
      ...(user.permissionsBoundary !== undefined && {
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: user.permissionsBoundary,
        },
      }),
      ...(user.tags.length > 0 && { Tags: user.tags }),
    };
  }

  #createUser(input: OperationInput): CreateUserResponse {
    const name = checkPattern('UserName', requiredMember(input, 'UserName'), USER_NAME_PATTERN);
    const path = checkPattern('Path', optionalMember(input, 'Path') || '/', PATH_PATTERN);
    if (this.#users.has(name.toLowerCase())) {
      throw queryError(QUERY_ERROR.entityAlreadyExists, `User with name ${name} already exists.`);
    }
    const boundary = optionalMember(input, 'PermissionsBoundary');
    const user: IamUser = {
      name,
      path,
      userId: `AIDA${randomFrom(BASE32, 17)}`,
      arn: `arn:aws:iam::${this.accountId}:user${path}${name}`,
      createDate: this.#now(),
      tags: parseTags(input),
      ...(boundary !== undefined && boundary !== '' && { permissionsBoundary: boundary }),
    };
    this.#users.set(name.toLowerCase(), user);
    return { User: this.#userShape(user) };
  }

  #getUser(input: OperationInput, caller: Principal | undefined): GetUserResponse {
    return { User: this.#userShape(this.#subject(input, caller)) };
  }

  #createAccessKey(input: OperationInput, caller: Principal | undefined): CreateAccessKeyResponse {
    const user = this.#subject(input, caller);
    if (this.#keysOf(user.name).length >= ACCESS_KEYS_PER_USER) {
      throw queryError(
        QUERY_ERROR.limitExceeded,
        `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`,
      );
    }
    const key: IamAccessKey = {
      id: `AKIA${randomFrom(BASE32, 16)}`,
      secret: randomFrom(SECRET_ALPHABET, 40),
      userName: user.name,
      status: 'Active',
      createDate: this.#now(),
    };
    this.#keys.set(key.id, key);
    const accessKey: AccessKey = {
      UserName: key.userName,
      AccessKeyId: key.id,
      Status: key.status,
      SecretAccessKey: key.secret,
      CreateDate: key.createDate,
    };
    return { AccessKey: accessKey };
  }

  #listAccessKeys(input: OperationInput, caller: Principal | undefined): ListAccessKeysResponse {
    const user = this.#subject(input, caller);
    const maxItems = optionalMember(input, 'MaxItems');
    const limit = maxItems === undefined ? 100 : Number(maxItems);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw validation(
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: " +
          'Member must have value between 1 and 1000',
      );
    }
    const marker = optionalMember(input, 'Marker');
    const start = marker === undefined || marker === '' ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0) throw validation('Invalid Marker.');
    const keys = this.#keysOf(user.name);
    const page = keys.slice(start, start + limit);
    const truncated = start + limit < keys.length;
    const metadata: AccessKeyMetadata[] = page.map((key) => ({
      UserName: key.userName,
      AccessKeyId: key.id,
      Status: key.status,
      CreateDate: key.createDate,
    }));
    return {
      AccessKeyMetadata: metadata,
      IsTruncated: truncated,
      ...(truncated && { Marker: String(start + limit) }),
    };
  }

  #updateAccessKey(input: OperationInput, caller: Principal | undefined): object {
    const status = requiredMember(input, 'Status');
    if (status !== 'Active' && status !== 'Inactive') {
      throw validation(
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: ` +
          'Member must satisfy enum value set: [Active, Inactive]',
      );
    }
    this.#key(input, caller).status = status;
    return {};
  }

  #deleteAccessKey(input: OperationInput, caller: Principal | undefined): object {
    const key = this.#key(input, caller);
    this.#keys.delete(key.id);
    return {};
  }

  #getAccessKeyLastUsed(input: OperationInput): GetAccessKeyLastUsedResponse {
    const id = checkPattern('AccessKeyId', requiredMember(input, 'AccessKeyId'), ACCESS_KEY_ID_PATTERN);
    const key = this.#keys.get(id);
    if (key === undefined) {
      throw queryError(QUERY_ERROR.noSuchEntity, `The Access Key with id ${id} cannot be found.`);
    }
    const used = key.lastUsed;
    return {
      UserName: key.userName,
      AccessKeyLastUsed:
        used === undefined
          ? { ServiceName: 'N/A', Region: 'N/A' }
          : { LastUsedDate: used.date, ServiceName: used.service, Region: used.region },
    };
  }
}

/** Serves an {@link IamService} over the Query protocol (service name `iam`). */
export function createIamHandler(iam: IamService): ProtocolHandler {
  return createQueryHandler({
    service: 'iam',
    version: IAM_VERSION,
    xmlns: IAM_XMLNS,
    isOperation: (action) => IamService.isOperation(action),
    invoke: (action, input, caller) => {
      if (!IamService.isOperation(action)) {
        throw queryError(
          QUERY_ERROR.invalidAction,
          `Could not find operation ${action} for version ${IAM_VERSION}`,
        );
      }
      return iam.invoke(action, input, caller);
    },
  });
}
