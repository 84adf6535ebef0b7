import { createHash, timingSafeEqual } from 'node:crypto';
import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  LabelParameterVersionCommand,
  type Parameter,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { ConsumerError } from '../../shared/errors';
import type { ConsumerResult, ConsumerUpdate, SsmParameterConsumer } from '../contract';
import type { ConsumerAdapter } from './adapter';
import {
  type AdapterObservability,
  type ConsumerClock,
  consumerFailure,
  describeError,
  errorName,
  label,
  observe,
  systemClock,
} from './support';

/** The SSM API calls the adapter makes. */
export type SsmPort = Pick<SSMClient, 'send'>;
/** The Secrets Manager API calls the adapters make (GetSecretValue). */
export type SecretsManagerPort = Pick<SecretsManagerClient, 'send'>;

/** What the SSM parameter adapter needs. */
export interface SsmParameterAdapterDeps extends AdapterObservability {
  readonly ssm: SsmPort;
  /** Reads the secret's value at the rollout's version. */
  readonly secretsManager: SecretsManagerPort;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
}

/**
 * The parameter label that ties a parameter version to the secret version it mirrors
 * (`handover-<versionId>`): labels must not start with a digit, and version ids often do.
 */
export function versionLabel(versionId: string): string {
  return `handover-${versionId}`;
}

/** Constant-time equality of two strings (through their SHA-256, so lengths do not leak either). */
function sameValue(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The adapter for SSM parameter consumers: mirrors the secret's value at the rollout's version into
 * a SecureString parameter (`PutParameter` with `Overwrite`, encrypted with the consumer's KMS key
 * when it names one), then labels the new parameter version `handover-<versionId>`
 * (`LabelParameterVersion`: PutParameter cannot tag on overwrite, and a label is what tells an
 * operator which secret version a parameter version holds; a label moves to the newest version it
 * is put on). A parameter that already holds the value (compared in constant time) is
 * `already-current` and is not written again (its label is still ensured). It refuses to write the
 * secret into an existing `String` or `StringList` parameter (plain text).
 *
 * The value is never logged, never in a message: SSM validation errors can quote the value, so
 * every error message is redacted.
 *
 * @example
 * ```ts
 * const adapter = createSsmParameterAdapter({ ssm: new SSMClient({}), secretsManager: new SecretsManagerClient({}) });
 * await adapter.update({ kind: 'ssm-parameter', name: 'legacy-config', parameterName: '/legacy/db-password' }, update);
 * ```
 */
export function createSsmParameterAdapter(
  deps: SsmParameterAdapterDeps,
): ConsumerAdapter<SsmParameterConsumer> {
  const clock = deps.clock ?? systemClock;

  const secretValue = async (consumer: SsmParameterConsumer, update: ConsumerUpdate): Promise<string> => {
    let output: GetSecretValueCommandOutput;
    try {
      output = await deps.secretsManager.send(
        new GetSecretValueCommand({ SecretId: update.secretArn, VersionId: update.versionId }),
      );
    } catch (error) {
      throw consumerFailure(
        consumer,
        `cannot read version ${update.versionId} of secret ${update.secretArn}`,
        error,
      );
    }
    if (output.SecretString === undefined) {
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: version ${update.versionId} of secret ${update.secretArn} has no SecretString; ` +
          'only string secrets can be mirrored into a parameter',
      );
    }
    return output.SecretString;
  };

  const currentParameter = async (
    consumer: SsmParameterConsumer,
    secret: string,
  ): Promise<Parameter | undefined> => {
    try {
      const output = await deps.ssm.send(
        new GetParameterCommand({ Name: consumer.parameterName, WithDecryption: true }),
      );
      return output.Parameter;
    } catch (error) {
      if (errorName(error) === 'ParameterNotFound') return undefined;
      throw consumerFailure(consumer, `cannot read parameter ${consumer.parameterName}`, error, [secret]);
    }
  };

  /**
   * Labels the parameter version with the secret version it holds. Best effort: the value is what
   * consumers read, the label is for operators, so a refused label (missing
   * `ssm:LabelParameterVersion`, ten labels already on the version) is logged and reported in the
   * result's detail instead of failing the rollout.
   */
  const ensureLabel = async (
    consumer: SsmParameterConsumer,
    update: ConsumerUpdate,
    version: number,
    secret: string,
  ): Promise<string> => {
    const name = versionLabel(update.versionId);
    let problem: string | undefined;
    try {
      const output = await deps.ssm.send(
        new LabelParameterVersionCommand({
          Name: consumer.parameterName,
          ParameterVersion: version,
          Labels: [name],
        }),
      );
      if ((output.InvalidLabels?.length ?? 0) > 0) problem = 'SSM reported the label invalid';
    } catch (error) {
      problem = describeError(error, [secret]);
    }
    if (problem === undefined) return `, labelled ${name}`;
    deps.logger?.warn('parameter version not labelled', {
      consumer: consumer.name,
      consumer_kind: consumer.kind,
      secret_id: update.secretArn,
      version_id: update.versionId,
      reason: problem,
    });
    return `, not labelled ${name} (${problem})`;
  };

  const result = (
    consumer: SsmParameterConsumer,
    outcome: ConsumerResult['outcome'],
    detail: string,
  ): ConsumerResult => ({ consumer: consumer.name, kind: 'ssm-parameter', outcome, detail });

  return {
    kind: 'ssm-parameter',

    update: (consumer, update) =>
      observe(deps.logger, clock, 'update', consumer, update, async () => {
        const secret = await secretValue(consumer, update);
        const existing = await currentParameter(consumer, secret);
        if (existing !== undefined && existing.Type !== 'SecureString') {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: parameter ${consumer.parameterName} is a ${existing.Type ?? 'non-SecureString'} ` +
              'parameter; Handover only mirrors secrets into SecureString parameters. Delete it or recreate it as SecureString.',
          );
        }
        if (
          existing?.Value !== undefined &&
          existing.Version !== undefined &&
          sameValue(existing.Value, secret)
        ) {
          const labelled = await ensureLabel(consumer, update, existing.Version, secret);
          return result(
            consumer,
            'already-current',
            `parameter ${consumer.parameterName} version ${existing.Version} already holds secret version ${update.versionId}${labelled}`,
          );
        }
        let version: number | undefined;
        try {
          const output = await deps.ssm.send(
            new PutParameterCommand({
              Name: consumer.parameterName,
              Value: secret,
              Type: 'SecureString',
              Overwrite: true,
              ...(consumer.kmsKeyId === undefined ? {} : { KeyId: consumer.kmsKeyId }),
              Description: `Mirrored by Handover from ${update.secretArn}`,
            }),
          );
          version = output.Version;
        } catch (error) {
          throw consumerFailure(consumer, `cannot write parameter ${consumer.parameterName}`, error, [
            secret,
          ]);
        }
        const labelled = version === undefined ? '' : await ensureLabel(consumer, update, version, secret);
        return result(
          consumer,
          'updated',
          `wrote secret version ${update.versionId} to ${consumer.parameterName} as parameter version ${version ?? 'unknown'}${labelled}`,
        );
      }),

    verify: (consumer, update) =>
      observe(deps.logger, clock, 'verify', consumer, update, async () => {
        const secret = await secretValue(consumer, update);
        const existing = await currentParameter(consumer, secret);
        if (existing === undefined) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: parameter ${consumer.parameterName} does not exist`,
          );
        }
        if (
          existing.Type !== 'SecureString' ||
          existing.Value === undefined ||
          !sameValue(existing.Value, secret)
        ) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: parameter ${consumer.parameterName} (version ${existing.Version ?? 'unknown'}) ` +
              `does not hold secret version ${update.versionId}`,
          );
        }
        return result(
          consumer,
          'verified',
          `parameter ${consumer.parameterName} version ${existing.Version ?? 'unknown'} holds secret version ${update.versionId}`,
        );
      }),
  };
}
