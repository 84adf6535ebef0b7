import {
  DescribeSecretCommand,
  type DescribeSecretResponse,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretFormatError } from '../shared/errors';
import { STAGE } from './constants';
import type { SecretVersions } from './versions';

/** What DescribeSecret says of a secret: its identity, whether rotation is on, its labels and tags. */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  /** `RotationEnabled`: only DescribeSecret (and ListSecrets) report it. */
  readonly rotationEnabled: boolean;
  readonly versions: SecretVersions;
  readonly tags: Readonly<Record<string, string>>;
}

/** One version of a secret with its value, as GetSecretValue returns it. */
export interface SecretVersion {
  /** The secret's ARN (whatever name or ARN the read was made with). */
  readonly arn: string;
  readonly versionId: string;
  /** The version's staging labels at the time of the read (GetSecretValue's `VersionStages`). */
  readonly stages: readonly string[];
  readonly value: string;
}

/** A version as ListSecretVersionIds lists it: labels and creation date, no value. */
export interface SecretVersionEntry {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly createdDate: Date | undefined;
}

/** Selects one version of a secret, by id or by staging label. */
export type VersionSelector = { readonly versionId: string } | { readonly stage: string };

/**
 * The Secrets Manager surface of Handover's rotation functions: the engine, the strategy actions
 * and every strategy (through `StrategyContext.secrets`) use it. One adapter talks to the AWS SDK
 * ({@link createSecretsManagerPort}); {@link cachedForInvocation} keeps one invocation from reading
 * the same thing twice.
 */
export interface SecretsPort {
  /** DescribeSecret. */
  describe(secretId: string): Promise<SecretMetadata>;
  /**
   * GetSecretValue of one version, with its staging labels, or `undefined` when the secret has no
   * such version, the version has no value yet (a label RotateSecret attached before createSecret),
   * or its value is binary.
   */
  getVersion(secretId: string, version: VersionSelector): Promise<SecretVersion | undefined>;
  /** The AWSCURRENT `SecretString` of any secret (a master or management secret), or an error. */
  getSecretString(secretId: string): Promise<string>;
  /**
   * Stores `value` as version `versionId` with the AWSPENDING label. Returns `'exists'`, and changes
   * nothing, when that version already holds a different value (PutSecretValue's
   * `ResourceExistsException`: a version's value can never change); `'stored'` otherwise (storing
   * the same value again is a no-op that succeeds).
   */
  putPending(
    secretId: string,
    versionId: string,
    value: string,
    rotationToken?: string,
  ): Promise<'stored' | 'exists'>;
  /** Moves `stage` to `toVersionId`, taking it from `fromVersionId` (required when it sits there). */
  moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void>;
  /** Removes `stage` from `fromVersionId`. */
  removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void>;
  /** Every version (ListSecretVersionIds, all pages), with `includeDeprecated` the unlabelled ones too. */
  listVersions(
    secretId: string,
    options?: { readonly includeDeprecated?: boolean },
  ): Promise<SecretVersionEntry[]>;
}

/** The SDK client operations the port calls, and nothing else (for least-privilege fakes). */
export type SecretsManagerSend = Pick<SecretsManagerClient, 'send'>;

/**
 * DescribeSecret, reduced to {@link SecretMetadata}. The one place its answer is read: the port,
 * the rollout workflow and the tools use it.
 *
 * @example
 * ```ts
 * const meta = await describeSecret(new SecretsManagerClient({}), 'orders/db/app');
 * ```
 */
export async function describeSecret(client: SecretsManagerSend, secretId: string): Promise<SecretMetadata> {
  return secretMetadataOf(await client.send(new DescribeSecretCommand({ SecretId: secretId })), secretId);
}

/** A DescribeSecret answer, reduced to {@link SecretMetadata} (`secretId`: the id it was asked with). */
export function secretMetadataOf(out: DescribeSecretResponse, secretId: string): SecretMetadata {
  const tags: Record<string, string> = {};
  for (const tag of out.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return {
    arn: out.ARN ?? secretId,
    name: out.Name ?? secretId,
    rotationEnabled: out.RotationEnabled === true,
    versions: out.VersionIdsToStages ?? {},
    tags,
  };
}

/**
 * Adapts the AWS SDK Secrets Manager client to {@link SecretsPort}. The client reaches real AWS, the
 * local emulator or any other implementation through the standard endpoint settings.
 *
 * @example
 * ```ts
 * const port = createSecretsManagerPort(new SecretsManagerClient({}));
 * const pending = await port.getVersion('arn:aws:secretsmanager:...', { versionId: token });
 * ```
 */
export function createSecretsManagerPort(client: SecretsManagerSend): SecretsPort {
  return {
    describe: (secretId) => describeSecret(client, secretId),
    async getVersion(secretId, version) {
      try {
        const out = await client.send(
          new GetSecretValueCommand({
            SecretId: secretId,
            ...('versionId' in version ? { VersionId: version.versionId } : { VersionStage: version.stage }),
          }),
        );
        if (out.SecretString === undefined) return undefined;
        return {
          arn: out.ARN ?? secretId,
          versionId: out.VersionId ?? ('versionId' in version ? version.versionId : ''),
          stages: out.VersionStages ?? [],
          value: out.SecretString,
        };
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    async getSecretString(secretId) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString === undefined) {
        throw new SecretFormatError('SecretString', `secret ${secretId} has no SecretString in AWSCURRENT`);
      }
      return out.SecretString;
    },
    async putPending(secretId, versionId, value, rotationToken) {
      try {
        await client.send(
          new PutSecretValueCommand({
            SecretId: secretId,
            ClientRequestToken: versionId,
            SecretString: value,
            VersionStages: [STAGE.pending],
            ...(rotationToken === undefined ? {} : { RotationToken: rotationToken }),
          }),
        );
        return 'stored';
      } catch (error) {
        // The SDK's ResourceExistsException; told by name, as every AWS SDK error can be.
        if (error instanceof Error && error.name === 'ResourceExistsException') return 'exists';
        throw error;
      }
    },
    async moveStage(secretId, stage, toVersionId, fromVersionId) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          MoveToVersionId: toVersionId,
          ...(fromVersionId === undefined ? {} : { RemoveFromVersionId: fromVersionId }),
        }),
      );
    },
    async removeStage(secretId, stage, fromVersionId) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          RemoveFromVersionId: fromVersionId,
        }),
      );
    },
    async listVersions(secretId, options = {}) {
      const versions: SecretVersionEntry[] = [];
      let nextToken: string | undefined;
      do {
        const out = await client.send(
          new ListSecretVersionIdsCommand({
            SecretId: secretId,
            IncludeDeprecated: options.includeDeprecated === true,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        );
        for (const entry of out.Versions ?? []) {
          if (entry.VersionId === undefined) continue;
          versions.push({
            versionId: entry.VersionId,
            stages: entry.VersionStages ?? [],
            createdDate: entry.CreatedDate === undefined ? undefined : new Date(entry.CreatedDate),
          });
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
      return versions;
    },
  };
}

/**
 * A {@link SecretsPort} for ONE invocation: each read (describe, a version, a secret's AWSCURRENT)
 * reaches Secrets Manager once, and later identical reads get the same answer, until any write
 * through this port, which forgets everything read so far (labels move). A read that failed is not
 * kept. The engine and the strategy actions wrap their port in it per invocation, so a strategy
 * never re-reads what the invocation already has.
 *
 * @example
 * ```ts
 * const secrets = cachedForInvocation(port);
 * await secrets.describe(arn);
 * await secrets.describe(arn); // no second DescribeSecret
 * ```
 */
export function cachedForInvocation(port: SecretsPort): SecretsPort {
  const reads = new Map<string, Promise<unknown>>();
  const read = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const known = reads.get(key);
    if (known !== undefined) return known as Promise<T>;
    const loading = load();
    reads.set(key, loading);
    loading.catch(() => {
      if (reads.get(key) === loading) reads.delete(key);
    });
    return loading;
  };
  const write = <T>(run: () => Promise<T>): Promise<T> => {
    reads.clear();
    return run();
  };
  return {
    describe: (secretId) => read(`describe\0${secretId}`, () => port.describe(secretId)),
    getVersion: (secretId, version) =>
      read(
        'versionId' in version
          ? `version\0${secretId}\0${version.versionId}`
          : `stage\0${secretId}\0${version.stage}`,
        () => port.getVersion(secretId, version),
      ),
    getSecretString: (secretId) => read(`current\0${secretId}`, () => port.getSecretString(secretId)),
    putPending: (...args) => write(() => port.putPending(...args)),
    moveStage: (...args) => write(() => port.moveStage(...args)),
    removeStage: (...args) => write(() => port.removeStage(...args)),
    listVersions: (secretId, options) =>
      read(`list\0${secretId}\0${options?.includeDeprecated === true}`, () =>
        port.listVersions(secretId, options),
      ),
  };
}
