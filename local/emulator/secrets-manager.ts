import { randomBytes, randomUUID } from 'node:crypto';
import type {
  CancelRotateSecretResponse,
  CreateSecretResponse,
  DeleteSecretResponse,
  DescribeSecretResponse,
  GetRandomPasswordResponse,
  GetSecretValueResponse,
  ListSecretsResponse,
  ListSecretVersionIdsResponse,
  PutSecretValueResponse,
  RestoreSecretResponse,
  RotateSecretResponse,
  RotationRulesType,
  SecretListEntry,
  SecretVersionsListEntry,
  Tag,
  UpdateSecretResponse,
  UpdateSecretVersionStageResponse,
} from '@aws-sdk/client-secrets-manager';
import { createAwsJsonHandler } from './aws-json-protocol';
import {
  AwsServiceError,
  ERROR_TYPE,
  invalidParameter,
  invalidRequest,
  resourceExists,
  resourceNotFound,
} from './errors';
import {
  type OperationInput,
  optionalBinary,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalObjectList,
  optionalString,
  optionalStringList,
  requireString,
} from './input';
import type { ProtocolHandler } from './protocol';
import { generateRandomPassword } from './random-password';
import {
  driveRotation,
  ROTATION_STEPS,
  type RotationLambdaHandler,
  type RotationRetryOptions,
  type RotationStep,
  type StepInvocation,
} from './rotation-driver';

/** The staging labels Secrets Manager itself gives meaning to. */
export const STAGE = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const;

/** The `X-Amz-Target` prefix of Secrets Manager. */
export const SECRETS_MANAGER_TARGET_PREFIX = 'secretsmanager';

/**
 * Whether a Lambda function exists and lets Secrets Manager invoke it (its resource policy names
 * the principal `secretsmanager.amazonaws.com`), as the emulated Lambda knows it.
 */
export type FunctionAccess = 'invocable' | 'forbidden' | 'missing';

/** Every Secrets Manager operation the emulator implements. */
export const SECRETS_MANAGER_OPERATIONS = [
  'CancelRotateSecret',
  'CreateSecret',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'DescribeSecret',
  'GetRandomPassword',
  'GetResourcePolicy',
  'GetSecretValue',
  'ListSecrets',
  'ListSecretVersionIds',
  'PutResourcePolicy',
  'PutSecretValue',
  'RestoreSecret',
  'RotateSecret',
  'TagResource',
  'UntagResource',
  'UpdateSecret',
  'UpdateSecretVersionStage',
] as const;
/** A Secrets Manager operation the emulator implements. */
export type SecretsManagerOperation = (typeof SECRETS_MANAGER_OPERATIONS)[number];

/** Options of the Secrets Manager model. */
export interface SecretsManagerOptions {
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** How rotation steps that throw are retried. @default - 2 retries, 0-50 ms apart */
  readonly rotation?: RotationRetryOptions;
  /**
   * Versions kept per secret; the oldest versions without a staging label are dropped beyond it.
   * @default 100
   */
  readonly maxVersions?: number;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
  /**
   * Looks a rotation function up in the emulated Lambda, for ARNs with no handler registered
   * in-process. A function created through the Lambda API whose policy admits Secrets Manager can
   * be named in RotateSecret; the emulator cannot run its code, so it behaves as a function that
   * returns at once: createSecret creates nothing, and the rotation fails the way the service
   * fails it ("Pending secret version ... was not created by Lambda ...").
   * @default - only functions registered in-process can rotate
   */
  readonly functionAccess?: (functionArn: string) => FunctionAccess;
}

/** A rotation the emulator ran (or is running) for a secret. */
export interface RotationRecord {
  readonly secretArn: string;
  readonly secretName: string;
  /** The version id passed as `ClientRequestToken` to the steps. */
  readonly versionId: string;
  readonly lambdaArn: string;
  /** `false` when RotateImmediately=false: only testSecret is called, no version is created. */
  readonly immediate: boolean;
  readonly status: 'running' | 'succeeded' | 'failed';
  /** Every step invocation of this rotation, retries included, in call order. */
  readonly steps: readonly StepInvocation[];
  readonly error?: string;
  readonly startedAt: Date;
  readonly finishedAt?: Date;
}

/** How a rotation ended, as `waitForRotation` reports it. */
export interface RotationOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly versionId: string;
  readonly steps: readonly StepInvocation[];
  readonly error?: string;
}

interface MutableRotation {
  secretArn: string;
  secretName: string;
  versionId: string;
  lambdaArn: string;
  immediate: boolean;
  status: 'running' | 'succeeded' | 'failed';
  steps: StepInvocation[];
  error?: string;
  startedAt: Date;
  finishedAt?: Date;
  cancelled?: string;
  settled: Promise<RotationOutcome>;
}

interface SecretVersion {
  readonly versionId: string;
  readonly stages: Set<string>;
  secretString?: string;
  secretBinary?: Uint8Array;
  readonly createdDate: Date;
  lastAccessedDate?: Date;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Tag[];
  /** In creation order. */
  readonly versions: Map<string, SecretVersion>;
  readonly createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRulesType;
  lastRotatedDate?: Date;
  deletedDate?: Date;
  /** The resource-based policy (PutResourcePolicy), as given. */
  resourcePolicy?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const PREVIOUS_ROTATION_INCOMPLETE = "A previous rotation isn't complete. That rotation will be reattempted.";
const DAY_MS = 24 * 60 * 60 * 1000;
/** A function created through the Lambda API: the emulator cannot run its code, so it does nothing. */
const CODE_THE_EMULATOR_CANNOT_RUN: RotationLambdaHandler = () => undefined;

function randomSuffix(): string {
  return [...randomBytes(6)].map((byte) => SUFFIX_ALPHABET.charAt(byte % SUFFIX_ALPHABET.length)).join('');
}

function hasValue(version: SecretVersion): boolean {
  return version.secretString !== undefined || version.secretBinary !== undefined;
}

function sameValue(version: SecretVersion, secretString?: string, secretBinary?: Uint8Array): boolean {
  if (version.secretString !== secretString) return false;
  if (version.secretBinary === undefined || secretBinary === undefined) {
    return version.secretBinary === secretBinary;
  }
  return Buffer.from(version.secretBinary).equals(Buffer.from(secretBinary));
}

function startOfDay(date: Date): Date {
  return new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
}

function validateToken(token: string): string {
  if (token.length < 32 || token.length > 64) {
    throw invalidParameter(`ClientRequestToken must be 32 to 64 characters long, got ${token.length}`);
  }
  return token;
}

function parseTags(input: OperationInput, field: string): Tag[] | undefined {
  const list = optionalObjectList(input, field);
  return list?.map((tag) => ({ Key: requireString(tag, 'Key'), Value: optionalString(tag, 'Value') ?? '' }));
}

function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = existing.filter((tag) => !added.some((add) => add.Key === tag.Key));
  return [...merged, ...added];
}

function parseRotationRules(input: OperationInput): RotationRulesType | undefined {
  const rules = optionalObject(input, 'RotationRules');
  if (rules === undefined) return undefined;
  const days = optionalInteger(rules, 'AutomaticallyAfterDays', 1, 1000);
  const schedule = optionalString(rules, 'ScheduleExpression');
  const duration = optionalString(rules, 'Duration');
  if (days !== undefined && schedule !== undefined) {
    throw invalidParameter('You can specify either AutomaticallyAfterDays or ScheduleExpression, not both.');
  }
  if (schedule !== undefined && !/^(rate|cron)\(.+\)$/.test(schedule)) {
    throw invalidParameter(`ScheduleExpression must be a rate() or cron() expression, got ${schedule}`);
  }
  if (duration !== undefined) {
    const hours = /^(\d+)h$/.exec(duration);
    if (hours === null || Number(hours[1]) < 1 || Number(hours[1]) > 24) {
      throw invalidParameter(`Duration must be between 1h and 24h, got ${duration}`);
    }
  }
  return {
    ...(days !== undefined && { AutomaticallyAfterDays: days }),
    ...(schedule !== undefined && { ScheduleExpression: schedule }),
    ...(duration !== undefined && { Duration: duration }),
  };
}

function rotationIntervalMs(rules: RotationRulesType): number | undefined {
  if (rules.AutomaticallyAfterDays !== undefined) return rules.AutomaticallyAfterDays * DAY_MS;
  const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(rules.ScheduleExpression ?? '');
  if (rate === null) return undefined;
  return Number(rate[1]) * (rate[2]?.startsWith('hour') ? DAY_MS / 24 : DAY_MS);
}

function encodeNextToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeNextToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'offset' in parsed) {
      const { offset } = parsed;
      if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
    }
  } catch {
    // fall through to the error below
  }
  throw new AwsServiceError(ERROR_TYPE.invalidNextToken, 'The NextToken value is not valid.');
}

function page<T>(items: readonly T[], input: OperationInput): { items: T[]; NextToken?: string } {
  const max = optionalInteger(input, 'MaxResults', 1, 100) ?? 100;
  const offset = decodeNextToken(optionalString(input, 'NextToken'));
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? encodeNextToken(offset + max) : undefined;
  return { items: slice, ...(next !== undefined && { NextToken: next }) };
}

/**
 * The Secrets Manager model: secrets, versions, staging labels and rotation, with the semantics of
 * the real service. Pure logic, no HTTP: the server decodes a request and calls `invoke`.
 *
 * Tests reach it as `emulator.secretsManager` to register rotation Lambdas, configure rotation
 * without running it, and wait for an asynchronous rotation to settle.
 *
 * @example
 * ```ts
 * const service = new SecretsManagerService();
 * service.invoke('CreateSecret', { Name: 'app/db', SecretString: '{"password":"..."}' });
 * ```
 */
export class SecretsManagerService {
  readonly region: string;
  readonly accountId: string;
  readonly #secrets = new Map<string, Secret>();
  readonly #lambdas = new Map<string, RotationLambdaHandler>();
  readonly #rotations: MutableRotation[] = [];
  readonly #retry: RotationRetryOptions;
  readonly #maxVersions: number;
  readonly #now: () => Date;
  readonly #functionAccess: (functionArn: string) => FunctionAccess;
  #disposed = false;

  readonly #operations: Record<SecretsManagerOperation, (input: OperationInput) => object> = {
    CancelRotateSecret: (input) => this.#cancelRotateSecret(input),
    CreateSecret: (input) => this.#createSecret(input),
    DeleteSecret: (input) => this.#deleteSecret(input),
    DescribeSecret: (input) => this.#describeSecret(input),
    GetRandomPassword: (input) => this.#getRandomPassword(input),
    GetResourcePolicy: (input) => this.#getResourcePolicy(input),
    PutResourcePolicy: (input) => this.#putResourcePolicy(input),
    DeleteResourcePolicy: (input) => this.#deleteResourcePolicy(input),
    GetSecretValue: (input) => this.#getSecretValue(input),
    ListSecrets: (input) => this.#listSecrets(input),
    ListSecretVersionIds: (input) => this.#listSecretVersionIds(input),
    PutSecretValue: (input) => this.#putSecretValue(input),
    RestoreSecret: (input) => this.#restoreSecret(input),
    RotateSecret: (input) => this.#rotateSecret(input),
    TagResource: (input) => this.#tagResource(input),
    UntagResource: (input) => this.#untagResource(input),
    UpdateSecret: (input) => this.#updateSecret(input),
    UpdateSecretVersionStage: (input) => this.#updateSecretVersionStage(input),
  };

  constructor(options: SecretsManagerOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.#retry = options.rotation ?? {};
    this.#maxVersions = options.maxVersions ?? 100;
    this.#now = options.now ?? (() => new Date());
    this.#functionAccess = options.functionAccess ?? (() => 'missing');
  }

  /** Whether `operation` is a Secrets Manager operation the emulator implements. */
  static isOperation(operation: string): operation is SecretsManagerOperation {
    return (SECRETS_MANAGER_OPERATIONS as readonly string[]).includes(operation);
  }

  /**
   * Runs one API operation on decoded input (wire member names; blobs as `Uint8Array`) and returns
   * the response members (dates as `Date`, blobs as `Uint8Array`). Throws `AwsServiceError`.
   */
  invoke(operation: SecretsManagerOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Makes `handler` the rotation Lambda with this ARN: RotateSecret calls it for the four steps. */
  registerRotationLambda(lambdaArn: string, handler: RotationLambdaHandler): void {
    this.#lambdas.set(lambdaArn, handler);
  }

  /** Removes a registered rotation Lambda. */
  unregisterRotationLambda(lambdaArn: string): void {
    this.#lambdas.delete(lambdaArn);
  }

  /**
   * Turns rotation on for a secret without running it (RotationEnabled, RotationLambdaARN,
   * RotationRules), as if RotateSecret had run earlier. For test set-up; not an API operation.
   */
  configureRotation(
    secretId: string,
    lambdaArn: string,
    rules: RotationRulesType = { AutomaticallyAfterDays: 30 },
  ): void {
    const secret = this.#live(secretId);
    const parsed = parseRotationRules({ RotationRules: rules });
    secret.rotationEnabled = true;
    secret.rotationLambdaArn = lambdaArn;
    secret.rotationRules = parsed;
    secret.lastChangedDate = this.#now();
  }

  /** Every rotation started so far, oldest first. */
  get rotations(): readonly RotationRecord[] {
    return this.#rotations.map((rotation) => this.#snapshot(rotation));
  }

  /** The rotations of one secret (by name or ARN), oldest first. */
  rotationsOf(secretIdOrArn: string): readonly RotationRecord[] {
    return this.#rotations.filter((r) => this.#matches(r, secretIdOrArn)).map((r) => this.#snapshot(r));
  }

  /** Every rotation step invoked for one secret (by name or ARN), across its rotations, in call order. */
  stepInvocations(secretIdOrArn: string): readonly StepInvocation[] {
    return this.#rotations.filter((r) => this.#matches(r, secretIdOrArn)).flatMap((r) => [...r.steps]);
  }

  /**
   * Resolves when the latest rotation of the secret settles. Rejects when no rotation was started
   * for it, or when it does not settle within `timeoutMs`.
   */
  async waitForRotation(secretIdOrArn: string, timeoutMs = 30_000): Promise<RotationOutcome> {
    const rotation = this.#rotations.findLast((r) => this.#matches(r, secretIdOrArn));
    if (rotation === undefined) {
      throw new Error(`No rotation has been started for secret ${secretIdOrArn}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Rotation of ${secretIdOrArn} did not settle within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([rotation.settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops running rotations before their next step; used when the emulator closes. */
  dispose(): void {
    this.#disposed = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Lookup and labels

  #arnPrefix(): string {
    return `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:`;
  }

  #find(secretId: string): Secret {
    const byName = this.#secrets.get(secretId);
    if (byName !== undefined) return byName;
    if (secretId.startsWith('arn:')) {
      for (const secret of this.#secrets.values()) {
        if (secret.arn === secretId || `${this.#arnPrefix()}${secret.name}` === secretId) return secret;
      }
    }
    throw resourceNotFound(NOT_FOUND);
  }

  /** GetResourcePolicy: the policy as put, or no `ResourcePolicy` member when there is none. */
  #getResourcePolicy(input: OperationInput): object {
    const secret = this.#live(requireString(input, 'SecretId'));
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.resourcePolicy === undefined ? {} : { ResourcePolicy: secret.resourcePolicy }),
    };
  }

  /**
   * PutResourcePolicy: the policy must be a JSON object with a `Statement` (MalformedPolicyDocument
   * otherwise). `BlockPublicPolicy` (on by default) and the policy's grammar beyond that are not
   * checked.
   */
  #putResourcePolicy(input: OperationInput): object {
    const secret = this.#live(requireString(input, 'SecretId'));
    const policy = requireString(input, 'ResourcePolicy');
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch {
      throw new AwsServiceError('MalformedPolicyDocumentException', 'The resource policy is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || !('Statement' in parsed)) {
      throw new AwsServiceError('MalformedPolicyDocumentException', 'The resource policy has no Statement.');
    }
    secret.resourcePolicy = policy;
    return { ARN: secret.arn, Name: secret.name };
  }

  #deleteResourcePolicy(input: OperationInput): object {
    const secret = this.#live(requireString(input, 'SecretId'));
    delete secret.resourcePolicy;
    return { ARN: secret.arn, Name: secret.name };
  }

  #live(secretId: string): Secret {
    const secret = this.#find(secretId);
    if (secret.deletedDate !== undefined) {
      throw invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    }
    return secret;
  }

  #matches(rotation: MutableRotation, secretIdOrArn: string): boolean {
    return (
      rotation.secretArn === secretIdOrArn ||
      rotation.secretName === secretIdOrArn ||
      `${this.#arnPrefix()}${rotation.secretName}` === secretIdOrArn
    );
  }

  #holder(secret: Secret, stage: string): SecretVersion | undefined {
    for (const version of secret.versions.values()) {
      if (version.stages.has(stage)) return version;
    }
    return undefined;
  }

  /** Puts `stage` on `version`, taking it off whichever version had it. */
  #attach(secret: Secret, version: SecretVersion, stage: string): void {
    for (const other of secret.versions.values()) other.stages.delete(stage);
    version.stages.add(stage);
  }

  /** Moves AWSCURRENT to `version`; the version that had it gets AWSPREVIOUS. */
  #moveCurrent(secret: Secret, version: SecretVersion): void {
    const old = this.#holder(secret, STAGE.current);
    if (old === version) return;
    this.#attach(secret, version, STAGE.current);
    if (old !== undefined) this.#attach(secret, old, STAGE.previous);
  }

  #applyStages(secret: Secret, version: SecretVersion, stages: readonly string[]): void {
    if (stages.includes(STAGE.current)) this.#moveCurrent(secret, version);
    for (const stage of stages) {
      if (stage !== STAGE.current) this.#attach(secret, version, stage);
    }
  }

  #version(secret: Secret, versionId: string): SecretVersion {
    const version = secret.versions.get(versionId);
    if (version === undefined) {
      throw resourceNotFound(`Secrets Manager can't find the specified secret version: ${versionId}`);
    }
    return version;
  }

  #addVersion(
    secret: Secret,
    versionId: string,
    secretString?: string,
    secretBinary?: Uint8Array,
  ): SecretVersion {
    const version: SecretVersion = {
      versionId,
      stages: new Set(),
      createdDate: this.#now(),
      ...(secretString !== undefined && { secretString }),
      ...(secretBinary !== undefined && { secretBinary }),
    };
    secret.versions.set(versionId, version);
    return version;
  }

  #prune(secret: Secret): void {
    for (const version of secret.versions.values()) {
      if (secret.versions.size <= this.#maxVersions) return;
      if (version.stages.size === 0) secret.versions.delete(version.versionId);
    }
  }

  #readValue(input: OperationInput): { secretString?: string; secretBinary?: Uint8Array } {
    const secretString = optionalString(input, 'SecretString');
    const secretBinary = optionalBinary(input, 'SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw invalidParameter('You can specify either SecretString or SecretBinary, not both.');
    }
    return {
      ...(secretString !== undefined && { secretString }),
      ...(secretBinary !== undefined && { secretBinary }),
    };
  }

  /** Stores a value under `token` (new version, placeholder fill, or idempotent retry) and applies stages. */
  #storeValue(
    secret: Secret,
    token: string,
    value: { secretString?: string; secretBinary?: Uint8Array },
    stages: readonly string[],
  ): SecretVersion {
    const existing = secret.versions.get(token);
    let version: SecretVersion;
    if (existing === undefined) {
      version = this.#addVersion(secret, token, value.secretString, value.secretBinary);
    } else if (!hasValue(existing)) {
      if (value.secretString !== undefined) existing.secretString = value.secretString;
      if (value.secretBinary !== undefined) existing.secretBinary = value.secretBinary;
      version = existing;
    } else if (sameValue(existing, value.secretString, value.secretBinary)) {
      version = existing;
    } else {
      throw resourceExists(
        `A version with the ClientRequestToken ${token} already exists with a different value. ` +
          "You can't modify an existing version, you can only create a new version.",
      );
    }
    this.#applyStages(secret, version, stages);
    secret.lastChangedDate = this.#now();
    this.#prune(secret);
    return version;
  }

  #labelled(secret: Secret): Record<string, string[]> {
    const map: Record<string, string[]> = {};
    for (const version of secret.versions.values()) {
      if (version.stages.size > 0) map[version.versionId] = [...version.stages];
    }
    return map;
  }

  #nextRotationDate(secret: Secret): Date | undefined {
    if (secret.rotationEnabled !== true || secret.rotationRules === undefined) return undefined;
    const interval = rotationIntervalMs(secret.rotationRules);
    if (interval === undefined) return undefined;
    const base = secret.lastRotatedDate ?? secret.createdDate;
    return new Date(base.getTime() + interval);
  }

  #metadata(secret: Secret): SecretListEntry {
    const next = this.#nextRotationDate(secret);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined && { Description: secret.description }),
      ...(secret.kmsKeyId !== undefined && { KmsKeyId: secret.kmsKeyId }),
      ...(secret.rotationEnabled !== undefined && { RotationEnabled: secret.rotationEnabled }),
      ...(secret.rotationLambdaArn !== undefined && { RotationLambdaARN: secret.rotationLambdaArn }),
      ...(secret.rotationRules !== undefined && { RotationRules: { ...secret.rotationRules } }),
      ...(secret.lastRotatedDate !== undefined && { LastRotatedDate: secret.lastRotatedDate }),
      LastChangedDate: secret.lastChangedDate,
      ...(secret.lastAccessedDate !== undefined && { LastAccessedDate: secret.lastAccessedDate }),
      ...(secret.deletedDate !== undefined && { DeletedDate: secret.deletedDate }),
      ...(next !== undefined && { NextRotationDate: next }),
      ...(secret.tags.length > 0 && { Tags: secret.tags.map((tag) => ({ ...tag })) }),
      CreatedDate: secret.createdDate,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Operations

  #createSecret(input: OperationInput): CreateSecretResponse {
    const name = requireString(input, 'Name');
    if (!NAME_PATTERN.test(name)) {
      throw invalidParameter(
        `Name must be 1 to 512 letters, digits or the characters /_+=.@- , got ${JSON.stringify(name)}`,
      );
    }
    const token = validateToken(optionalString(input, 'ClientRequestToken') ?? randomUUID());
    const value = this.#readValue(input);
    const description = optionalString(input, 'Description');
    const kmsKeyId = optionalString(input, 'KmsKeyId');
    const tags = parseTags(input, 'Tags') ?? [];
    const existing = this.#secrets.get(name);
    if (existing !== undefined) {
      if (existing.deletedDate !== undefined) {
        throw invalidRequest(
          "You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
      }
      const retried = existing.versions.get(token);
      if (retried !== undefined && sameValue(retried, value.secretString, value.secretBinary)) {
        return { ARN: existing.arn, Name: existing.name, VersionId: retried.versionId };
      }
      throw resourceExists(`The operation failed because the secret ${name} already exists.`);
    }
    const now = this.#now();
    const secret: Secret = {
      arn: `${this.#arnPrefix()}${name}-${randomSuffix()}`,
      name,
      tags,
      versions: new Map(),
      createdDate: now,
      lastChangedDate: now,
      ...(description !== undefined && { description }),
      ...(kmsKeyId !== undefined && { kmsKeyId }),
    };
    this.#secrets.set(name, secret);
    if (value.secretString === undefined && value.secretBinary === undefined) {
      return { ARN: secret.arn, Name: secret.name };
    }
    const version = this.#storeValue(secret, token, value, [STAGE.current]);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId };
  }

  #describeSecret(input: OperationInput): DescribeSecretResponse {
    const secret = this.#find(requireString(input, 'SecretId'));
    const { SecretVersionsToStages: _omit, ...metadata } = this.#metadata(secret);
    return { ...metadata, VersionIdsToStages: this.#labelled(secret) };
  }

  #getSecretValue(input: OperationInput): GetSecretValueResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const versionId = optionalString(input, 'VersionId');
    const versionStage = optionalString(input, 'VersionStage');
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      if (version !== undefined && versionStage !== undefined && !version.stages.has(versionStage)) {
        throw resourceNotFound(
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId} and VersionStage: ${versionStage}`,
        );
      }
    } else {
      version = this.#holder(secret, versionStage ?? STAGE.current);
    }
    if (version === undefined || !hasValue(version)) {
      const which =
        versionId !== undefined
          ? `VersionId: ${versionId}`
          : `staging label: ${versionStage ?? STAGE.current}`;
      throw resourceNotFound(`Secrets Manager can't find the specified secret value for ${which}`);
    }
    const accessed = startOfDay(this.#now());
    version.lastAccessedDate = accessed;
    secret.lastAccessedDate = accessed;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      ...(version.secretString !== undefined && { SecretString: version.secretString }),
      ...(version.secretBinary !== undefined && { SecretBinary: version.secretBinary }),
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  #putSecretValue(input: OperationInput): PutSecretValueResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const token = validateToken(optionalString(input, 'ClientRequestToken') ?? randomUUID());
    const value = this.#readValue(input);
    if (value.secretString === undefined && value.secretBinary === undefined) {
      throw invalidParameter('You must provide either SecretString or SecretBinary.');
    }
    const stages = optionalStringList(input, 'VersionStages') ?? [STAGE.current];
    if (stages.length === 0 || stages.length > 20) {
      throw invalidParameter(`VersionStages must list 1 to 20 staging labels, got ${stages.length}`);
    }
    // RotationToken is accepted and deliberately never read, stored or logged.
    const version = this.#storeValue(secret, token, value, stages);
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: [...version.stages],
    };
  }

  #updateSecret(input: OperationInput): UpdateSecretResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const token = validateToken(optionalString(input, 'ClientRequestToken') ?? randomUUID());
    const value = this.#readValue(input);
    const description = optionalString(input, 'Description');
    const kmsKeyId = optionalString(input, 'KmsKeyId');
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    secret.lastChangedDate = this.#now();
    if (value.secretString === undefined && value.secretBinary === undefined) {
      return { ARN: secret.arn, Name: secret.name };
    }
    const version = this.#storeValue(secret, token, value, [STAGE.current]);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId };
  }

  #updateSecretVersionStage(input: OperationInput): UpdateSecretVersionStageResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const stage = requireString(input, 'VersionStage');
    const moveToId = optionalString(input, 'MoveToVersionId');
    const removeFromId = optionalString(input, 'RemoveFromVersionId');
    if (moveToId === undefined && removeFromId === undefined) {
      throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
    }
    const moveTo = moveToId === undefined ? undefined : this.#version(secret, moveToId);
    let removeFrom: SecretVersion | undefined;
    if (removeFromId !== undefined) {
      removeFrom = secret.versions.get(removeFromId);
      if (removeFrom === undefined) throw invalidParameter(`Not a valid version: ${removeFromId}`);
      if (!removeFrom.stages.has(stage)) {
        throw invalidParameter(`The staging label ${stage} isn't attached to version ${removeFromId}.`);
      }
    }
    const holder = this.#holder(secret, stage);
    if (moveTo !== undefined) {
      if (holder !== undefined && holder !== moveTo && holder !== removeFrom) {
        throw invalidParameter(
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to ` +
            `version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      if (stage === STAGE.current) this.#moveCurrent(secret, moveTo);
      else this.#attach(secret, moveTo, stage);
    } else if (removeFrom !== undefined) {
      if (stage === STAGE.current) {
        throw invalidParameter(
          `You can't remove the staging label ${STAGE.current} from version ${removeFrom.versionId} without moving it to another version.`,
        );
      }
      removeFrom.stages.delete(stage);
    }
    secret.lastChangedDate = this.#now();
    this.#prune(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  #listSecretVersionIds(input: OperationInput): ListSecretVersionIdsResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const includeDeprecated = optionalBoolean(input, 'IncludeDeprecated') ?? false;
    const versions = [...secret.versions.values()].filter((v) => includeDeprecated || v.stages.size > 0);
    const { items, NextToken } = page(versions, input);
    const entries: SecretVersionsListEntry[] = items.map((version) => ({
      VersionId: version.versionId,
      VersionStages: [...version.stages],
      ...(version.lastAccessedDate !== undefined && { LastAccessedDate: version.lastAccessedDate }),
      CreatedDate: version.createdDate,
      KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
    }));
    return {
      Versions: entries,
      ...(NextToken !== undefined && { NextToken }),
      ARN: secret.arn,
      Name: secret.name,
    };
  }

  #getRandomPassword(input: OperationInput): GetRandomPasswordResponse {
    const length = optionalInteger(input, 'PasswordLength', 1, 4096);
    const exclude = optionalString(input, 'ExcludeCharacters');
    const flags = [
      'ExcludeNumbers',
      'ExcludePunctuation',
      'ExcludeUppercase',
      'ExcludeLowercase',
      'IncludeSpace',
      'RequireEachIncludedType',
    ] as const;
    const options = Object.fromEntries(flags.map((flag) => [flag, optionalBoolean(input, flag)]));
    return {
      RandomPassword: generateRandomPassword({
        ...options,
        ...(length !== undefined && { PasswordLength: length }),
        ...(exclude !== undefined && { ExcludeCharacters: exclude }),
      }),
    };
  }

  #listSecrets(input: OperationInput): ListSecretsResponse {
    const includeDeleted = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
    const filters = (optionalObjectList(input, 'Filters') ?? []).map((filter) => ({
      key: requireString(filter, 'Key'),
      values: optionalStringList(filter, 'Values') ?? [],
    }));
    for (const { key } of filters) {
      if (!['name', 'description', 'tag-key', 'tag-value', 'all'].includes(key)) {
        throw invalidParameter(
          `Filter key ${key} is not supported by the emulator; use name, description, tag-key, tag-value or all.`,
        );
      }
    }
    const sortOrder = optionalString(input, 'SortOrder') ?? 'desc';
    const matches = (secret: Secret) =>
      filters.every(({ key, values }) =>
        values.some((raw) => {
          const negate = raw.startsWith('!');
          const value = negate ? raw.slice(1) : raw;
          return negate !== this.#filterMatches(secret, key, value);
        }),
      );
    const secrets = [...this.#secrets.values()]
      .filter((secret) => includeDeleted || secret.deletedDate === undefined)
      .filter(matches);
    if (sortOrder === 'desc') secrets.reverse();
    const { items, NextToken } = page(secrets, input);
    return {
      SecretList: items.map((secret) => ({
        ...this.#metadata(secret),
        SecretVersionsToStages: this.#labelled(secret),
      })),
      ...(NextToken !== undefined && { NextToken }),
    };
  }

  #filterMatches(secret: Secret, key: string, value: string): boolean {
    switch (key) {
      case 'name':
        return secret.name.startsWith(value);
      case 'description':
        return (secret.description ?? '').toLowerCase().startsWith(value.toLowerCase());
      case 'tag-key':
        return secret.tags.some((tag) => tag.Key?.startsWith(value));
      case 'tag-value':
        return secret.tags.some((tag) => tag.Value?.startsWith(value));
      default: {
        const needle = value.toLowerCase();
        const words = [
          secret.name,
          secret.description ?? '',
          ...secret.tags.flatMap((t) => [t.Key ?? '', t.Value ?? '']),
        ];
        return words.some((word) => word.toLowerCase().includes(needle));
      }
    }
  }

  #tagResource(input: OperationInput): object {
    const secret = this.#live(requireString(input, 'SecretId'));
    const tags = parseTags(input, 'Tags');
    if (tags === undefined) throw invalidParameter('You must provide a value for the Tags parameter.');
    secret.tags = mergeTags(secret.tags, tags);
    secret.lastChangedDate = this.#now();
    return {};
  }

  #untagResource(input: OperationInput): object {
    const secret = this.#live(requireString(input, 'SecretId'));
    const keys = optionalStringList(input, 'TagKeys');
    if (keys === undefined) throw invalidParameter('You must provide a value for the TagKeys parameter.');
    secret.tags = secret.tags.filter((tag) => tag.Key === undefined || !keys.includes(tag.Key));
    secret.lastChangedDate = this.#now();
    return {};
  }

  #deleteSecret(input: OperationInput): DeleteSecretResponse {
    const secret = this.#find(requireString(input, 'SecretId'));
    const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false;
    const window = optionalInteger(input, 'RecoveryWindowInDays', 7, 30);
    if (force && window !== undefined) {
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const now = this.#now();
    if (force) {
      this.#secrets.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: now };
    }
    if (secret.deletedDate !== undefined) {
      throw invalidRequest(
        "You can't perform this operation on the secret because it was already scheduled for deletion.",
      );
    }
    secret.deletedDate = now;
    return {
      ARN: secret.arn,
      Name: secret.name,
      DeletionDate: new Date(now.getTime() + (window ?? 30) * DAY_MS),
    };
  }

  #restoreSecret(input: OperationInput): RestoreSecretResponse {
    const secret = this.#find(requireString(input, 'SecretId'));
    delete secret.deletedDate;
    secret.lastChangedDate = this.#now();
    return { ARN: secret.arn, Name: secret.name };
  }

  #rotateSecret(input: OperationInput): RotateSecretResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    const givenToken = optionalString(input, 'ClientRequestToken');
    const token = validateToken(givenToken ?? randomUUID());
    const lambdaArn = optionalString(input, 'RotationLambdaARN') ?? secret.rotationLambdaArn;
    const rules = parseRotationRules(input) ?? secret.rotationRules;
    const immediate = optionalBoolean(input, 'RotateImmediately') ?? true;
    if (lambdaArn === undefined) {
      throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
    }
    const handler =
      this.#lambdas.get(lambdaArn) ??
      (this.#functionAccess(lambdaArn) === 'invocable' ? CODE_THE_EMULATOR_CANNOT_RUN : undefined);
    if (handler === undefined) {
      throw invalidRequest(
        `Secrets Manager cannot invoke the specified Lambda function ${lambdaArn}. ` +
          'Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
      );
    }
    if (this.#rotations.some((r) => r.secretArn === secret.arn && r.status === 'running')) {
      throw invalidRequest(PREVIOUS_ROTATION_INCOMPLETE);
    }
    const pending = this.#holder(secret, STAGE.pending);
    const current = this.#holder(secret, STAGE.current);
    const resuming = pending !== undefined && pending !== current;
    if (resuming && token !== pending.versionId) {
      throw invalidRequest(PREVIOUS_ROTATION_INCOMPLETE);
    }
    if (immediate && !resuming) {
      if (secret.versions.has(token)) {
        throw resourceExists(
          `A version with the ClientRequestToken ${token} already exists for this secret.`,
        );
      }
      const version = this.#addVersion(secret, token);
      this.#attach(secret, version, STAGE.pending);
      this.#prune(secret);
    }
    secret.rotationEnabled = true;
    secret.rotationLambdaArn = lambdaArn;
    if (rules !== undefined) secret.rotationRules = rules;
    secret.lastChangedDate = this.#now();

    const versionId = immediate ? token : randomUUID();
    this.#startRotation(secret, handler, lambdaArn, versionId, immediate);
    return { ARN: secret.arn, Name: secret.name, ...(immediate && { VersionId: versionId }) };
  }

  #cancelRotateSecret(input: OperationInput): CancelRotateSecretResponse {
    const secret = this.#live(requireString(input, 'SecretId'));
    secret.rotationEnabled = false;
    secret.lastChangedDate = this.#now();
    for (const rotation of this.#rotations) {
      if (rotation.secretArn === secret.arn && rotation.status === 'running') {
        rotation.cancelled = 'Rotation was cancelled by CancelRotateSecret';
      }
    }
    // Like the service, the AWSPENDING label stays where it is: the caller cleans it up.
    const pending = this.#holder(secret, STAGE.pending);
    const current = this.#holder(secret, STAGE.current);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(pending !== undefined && pending !== current && { VersionId: pending.versionId }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Rotation

  #startRotation(
    secret: Secret,
    handler: RotationLambdaHandler,
    lambdaArn: string,
    versionId: string,
    immediate: boolean,
  ): void {
    const steps: readonly RotationStep[] = immediate ? ROTATION_STEPS : ['testSecret'];
    let settle: (outcome: RotationOutcome) => void = () => {};
    const rotation: MutableRotation = {
      secretArn: secret.arn,
      secretName: secret.name,
      versionId,
      lambdaArn,
      immediate,
      status: 'running',
      steps: [],
      startedAt: this.#now(),
      settled: new Promise<RotationOutcome>((resolve) => {
        settle = resolve;
      }),
    };
    this.#rotations.push(rotation);
    // Like the service, RotateSecret returns before the Lambda runs.
    setImmediate(() => {
      void driveRotation({
        handler,
        steps,
        secretArn: secret.arn,
        clientRequestToken: versionId,
        retry: this.#retry,
        rotationToken: randomUUID(),
        onStep: (invocation) => rotation.steps.push(invocation),
        stopReason: () => rotation.cancelled ?? (this.#disposed ? 'The emulator was closed' : undefined),
        afterStep: (step) =>
          step === 'createSecret' ? this.#pendingMissing(secret, versionId, lambdaArn) : undefined,
      }).then((result) => {
        const status = result.ok ? 'succeeded' : 'failed';
        const finishedAt = this.#now();
        rotation.status = status;
        rotation.finishedAt = finishedAt;
        if (!result.ok) rotation.error = result.error;
        if (result.ok && immediate && this.#secrets.get(secret.name) === secret) {
          secret.lastRotatedDate = finishedAt;
        }
        settle({
          status,
          versionId,
          steps: [...rotation.steps],
          ...(rotation.error !== undefined && { error: rotation.error }),
        });
      });
    });
  }

  /** The service's check after createSecret: the pending version must now hold a value. */
  #pendingMissing(secret: Secret, versionId: string, lambdaArn: string): string | undefined {
    const version = secret.versions.get(versionId);
    if (version !== undefined && hasValue(version) && version.stages.has(STAGE.pending)) return undefined;
    return (
      `Pending secret version ${versionId} for Secret ${secret.name} was not created by Lambda ${lambdaArn}. ` +
      'Remove the AWSPENDING staging label and restart rotation.'
    );
  }

  #snapshot(rotation: MutableRotation): RotationRecord {
    const { cancelled: _cancelled, settled: _settled, steps, ...rest } = rotation;
    return { ...rest, steps: [...steps] };
  }
}

/** Serves a {@link SecretsManagerService} over AWS JSON 1.1 (blobs in base64 on the wire). */
export function createSecretsManagerHandler(secretsManager: SecretsManagerService): ProtocolHandler {
  return createAwsJsonHandler({
    service: 'secretsmanager',
    targetPrefix: SECRETS_MANAGER_TARGET_PREFIX,
    jsonVersion: '1.1',
    isOperation: (operation) => SecretsManagerService.isOperation(operation),
    invoke: (operation, input) => {
      if (!SecretsManagerService.isOperation(operation)) {
        throw new AwsServiceError(
          ERROR_TYPE.unknownOperation,
          `The emulator does not implement ${operation}.`,
        );
      }
      return secretsManager.invoke(operation, input);
    },
    blobMembers: ['SecretBinary'],
  });
}
