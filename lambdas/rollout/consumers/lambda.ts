import {
  type FunctionConfiguration,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { ConsumerError } from '../../shared/errors';
import type { ConsumerResult, LambdaConsumer } from '../contract';
import type { ConsumerAdapter } from './adapter';
import { DEFAULT_VERSION_VARIABLE } from './lambda.contract';
import {
  type AdapterObservability,
  type ConsumerClock,
  consumerFailure,
  errorName,
  label,
  observe,
  pollUntil,
  positive,
  systemClock,
} from './support';

export { DEFAULT_VERSION_VARIABLE } from './lambda.contract';

/** The Lambda API calls the adapter makes. */
export type LambdaPort = Pick<LambdaClient, 'send'>;

/** Timing of the Lambda adapter. */
export interface LambdaAdapterOptions {
  /** Time between two reads while an update is in progress. @default 1000 */
  readonly pollIntervalMs?: number;
  /**
   * How long to wait for an update in progress (ours or someone else's) to finish before throwing
   * `ConsumerNotReadyError`.
   * @default 300000
   */
  readonly updateTimeoutMs?: number;
  /**
   * Update attempts when another update wins the race (`ResourceConflictException`, or
   * `PreconditionFailedException` when the function changed between our read and our write).
   * @default 5
   */
  readonly conflictAttempts?: number;
  /** The first backoff after a conflict, doubled on each attempt. @default 1000 */
  readonly conflictBackoffMs?: number;
}

/** What the Lambda adapter needs. */
export interface LambdaAdapterDeps extends AdapterObservability {
  readonly lambda: LambdaPort;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
  /** @default - see {@link LambdaAdapterOptions} */
  readonly options?: LambdaAdapterOptions;
}

const CONFLICTS = new Set(['ResourceConflictException', 'PreconditionFailedException']);

/**
 * The adapter for Lambda function consumers: sets an environment variable (default
 * `HANDOVER_SECRET_VERSION`) to the new version id, so every new execution environment (a
 * configuration update retires the old ones) reads the new value, typically with
 * `GetSecretValue({ SecretId, VersionId: process.env.HANDOVER_SECRET_VERSION })` or by using it as a
 * cache key.
 *
 * UpdateFunctionConfiguration REPLACES the whole variables map, so the adapter reads, merges and
 * writes back every other variable unchanged, guarded by the `RevisionId` it read (a concurrent
 * change makes the write fail with `PreconditionFailedException` instead of being lost; it is then
 * re-read and retried, as is `ResourceConflictException`). It refuses to write when Lambda cannot
 * show the current variables (`Environment.Error`, e.g. a disabled KMS key): writing would erase
 * them. It waits (bounded) for any update in progress before reading, and for its own update to
 * reach `LastUpdateStatus: Successful`; `Failed` is a `ConsumerError` with Lambda's reason. A
 * function already at the version is `already-current` and is not written.
 *
 * Variable values never reach a message: Lambda's own error messages can quote them (the 4 KB limit
 * error prints the whole map), so they are redacted.
 *
 * @example
 * ```ts
 * const adapter = createLambdaAdapter({ lambda: new LambdaClient({}) });
 * await adapter.update({ kind: 'lambda', name: 'billing-api', functionName: 'billing-api' }, update);
 * await adapter.verify({ kind: 'lambda', name: 'billing-api', functionName: 'billing-api' }, update);
 * ```
 */
export function createLambdaAdapter(deps: LambdaAdapterDeps): ConsumerAdapter<LambdaConsumer> {
  const clock = deps.clock ?? systemClock;
  const pollIntervalMs = positive('pollIntervalMs', deps.options?.pollIntervalMs ?? 1000, 0);
  const updateTimeoutMs = positive('updateTimeoutMs', deps.options?.updateTimeoutMs ?? 300_000, 0);
  const conflictAttempts = positive('conflictAttempts', deps.options?.conflictAttempts ?? 5);
  const conflictBackoffMs = positive('conflictBackoffMs', deps.options?.conflictBackoffMs ?? 1000, 0);

  const variableOf = (consumer: LambdaConsumer) => consumer.environmentVariable ?? DEFAULT_VERSION_VARIABLE;

  const read = async (consumer: LambdaConsumer): Promise<FunctionConfiguration> => {
    try {
      return await deps.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: consumer.functionName }),
      );
    } catch (error) {
      throw consumerFailure(consumer, `cannot read function ${consumer.functionName}`, error);
    }
  };

  /** Reads until no update is in progress (and the function is not still being created). */
  const settled = (consumer: LambdaConsumer): Promise<FunctionConfiguration> => {
    let last: FunctionConfiguration | undefined;
    return pollUntil(
      clock,
      {
        consumer,
        intervalMs: pollIntervalMs,
        timeoutMs: updateTimeoutMs,
        waitingFor: () =>
          `waiting for function ${consumer.functionName} (State ${last?.State ?? 'unknown'}, LastUpdateStatus ${last?.LastUpdateStatus ?? 'unknown'})`,
      },
      async () => {
        last = await read(consumer);
        const busy = last.LastUpdateStatus === 'InProgress' || last.State === 'Pending';
        return busy ? undefined : last;
      },
    );
  };

  const variablesOf = (consumer: LambdaConsumer, config: FunctionConfiguration): Record<string, string> => {
    const environment = config.Environment;
    if (environment?.Error !== undefined) {
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: Lambda cannot show the environment variables of ${consumer.functionName} ` +
          `(${environment.Error.ErrorCode ?? 'unknown error'}); refusing to write them back, it would erase them. ` +
          'Fix the function (e.g. its KMS key) and retry.',
      );
    }
    return { ...environment?.Variables };
  };

  const failedReason = (config: FunctionConfiguration) =>
    `${config.LastUpdateStatusReasonCode ?? 'unknown reason code'}: ${config.LastUpdateStatusReason ?? 'no reason given'}`;

  const result = (
    consumer: LambdaConsumer,
    outcome: ConsumerResult['outcome'],
    detail: string,
  ): ConsumerResult => ({ consumer: consumer.name, kind: 'lambda', outcome, detail });

  return {
    kind: 'lambda',

    principals: async (consumer) => {
      const role = (await read(consumer)).Role;
      return role === undefined ? [] : [role];
    },

    update: (consumer, update) =>
      observe(deps.logger, clock, 'update', consumer, update, async () => {
        const variable = variableOf(consumer);
        for (let attempt = 1; ; attempt += 1) {
          const config = await settled(consumer);
          const variables = variablesOf(consumer, config);
          if (variables[variable] === update.versionId && config.LastUpdateStatus !== 'Failed') {
            return result(
              consumer,
              'already-current',
              `${variable} of ${consumer.functionName} is already ${update.versionId}`,
            );
          }
          try {
            await deps.lambda.send(
              new UpdateFunctionConfigurationCommand({
                FunctionName: consumer.functionName,
                Environment: { Variables: { ...variables, [variable]: update.versionId } },
                ...(config.RevisionId === undefined ? {} : { RevisionId: config.RevisionId }),
              }),
            );
            break;
          } catch (error) {
            const secrets = Object.values(variables);
            if (!CONFLICTS.has(errorName(error) ?? '')) {
              throw consumerFailure(
                consumer,
                `cannot update function ${consumer.functionName}`,
                error,
                secrets,
              );
            }
            if (attempt >= conflictAttempts) {
              throw consumerFailure(
                consumer,
                `function ${consumer.functionName} kept changing under us (${attempt} attempts)`,
                error,
                secrets,
              );
            }
            await clock.sleep(conflictBackoffMs * 2 ** (attempt - 1));
          }
        }
        const after = await settled(consumer);
        if (after.LastUpdateStatus === 'Failed') {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: the update of ${consumer.functionName} failed: ${failedReason(after)}`,
          );
        }
        const now = variablesOf(consumer, after)[variable];
        if (now !== update.versionId) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: ${variable} of ${consumer.functionName} is ${now === undefined ? 'unset' : now} ` +
              `after the update, expected ${update.versionId}: another deployment overwrote it`,
          );
        }
        return result(
          consumer,
          'updated',
          `set ${variable}=${update.versionId} on ${consumer.functionName} (revision ${after.RevisionId ?? 'unknown'})`,
        );
      }),

    verify: (consumer, update) =>
      observe(deps.logger, clock, 'verify', consumer, update, async () => {
        const variable = variableOf(consumer);
        const config = await settled(consumer);
        if (config.LastUpdateStatus === 'Failed') {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: the last update of ${consumer.functionName} failed: ${failedReason(config)}`,
          );
        }
        const now = variablesOf(consumer, config)[variable];
        if (now !== update.versionId) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: ${variable} of ${consumer.functionName} is ${now === undefined ? 'unset' : now}, expected ${update.versionId}`,
          );
        }
        return result(
          consumer,
          'verified',
          `${consumer.functionName} runs with ${variable}=${update.versionId} (LastUpdateStatus ${config.LastUpdateStatus ?? 'Successful'})`,
        );
      }),
  };
}
