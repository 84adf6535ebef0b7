import { RotationStateError, SecretFormatError } from '../shared/errors';
import type { RotationMetrics, StructuredLogger } from '../shared/observability';
import { fingerprint, redact, redactError } from '../shared/redaction';
import { STAGE } from './constants';
import { parseRotationEvent, type RotationEvent } from './event';
import type { SecretMetadata, SecretsPort } from './secrets-port';
import type { CredentialStrategy, PreviousReader, StrategyContext } from './strategy';

/** Dependencies of {@link createRotationHandler}, built once per Lambda in its composition root. */
export interface RotationHandlerDeps<S> {
  readonly strategy: CredentialStrategy<S>;
  readonly secrets: SecretsPort;
  readonly logger: StructuredLogger;
  readonly metrics: RotationMetrics;
  /** Monotonic milliseconds, for durations. @default - `performance.now` */
  readonly now?: () => number;
}

/** What a step did, for the log line. */
type Outcome = 'success' | 'already-current' | 'reused-pending' | 'already-set' | 'configuration-tested';

interface StepResult {
  readonly outcome: Outcome;
  readonly identity?: string;
}

/**
 * Tracks every secret string read during one invocation, so any error or log line can be
 * redacted before it leaves the engine.
 */
class SecretTracker<S> {
  readonly values: string[] = [];
  private readonly strategy: CredentialStrategy<S>;
  constructor(strategy: CredentialStrategy<S>) {
    this.strategy = strategy;
  }

  parse(raw: string, what: string): S {
    this.values.push(raw);
    try {
      const value = this.strategy.parse(raw);
      this.values.push(...this.strategy.secretsOf(value));
      return value;
    } catch (error) {
      if (error instanceof SecretFormatError) {
        throw new SecretFormatError(error.field, `${what}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * The Secrets Manager rotation protocol, written once. Returns the Lambda handler that Secrets
 * Manager invokes with `{ Step, SecretId, ClientRequestToken, RotationToken? }` for each of
 * createSecret, setSecret, testSecret and finishSecret.
 *
 * Every step starts with the stage guard (rotation enabled, the token is a version of the secret,
 * a token already AWSCURRENT is a no-op, otherwise it must carry AWSPENDING), is safe to re-run
 * after a failure at any point, writes one structured log line and records metrics. Errors are
 * redacted of every secret value read during the invocation and re-thrown: Secrets Manager learns
 * of a failure only from the thrown error.
 *
 * @example
 * ```ts
 * export const handler = createRotationHandler({
 *   strategy: createPostgresStrategy({ mode: 'single-user' }),
 *   secrets: createSecretsManagerPort(new SecretsManagerClient({})),
 *   logger: createLogger(),
 *   metrics: createRotationMetrics('postgres'),
 * });
 * ```
 */
export function createRotationHandler<S>(deps: RotationHandlerDeps<S>): (event: unknown) => Promise<void> {
  const { strategy, secrets, logger, metrics } = deps;
  const now = deps.now ?? (() => performance.now());

  return async (raw: unknown): Promise<void> => {
    const started = now();
    const base = { credential_type: strategy.type, strategy: strategy.variant };
    let event: RotationEvent;
    try {
      event = parseRotationEvent(raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.error('rotation step rejected', { ...base, step: 'invalid-event', outcome: 'failure', reason });
      metrics.recordStep('invalid-event', 'failure', now() - started);
      throw error;
    }

    const tracker = new SecretTracker(strategy);
    const fields = { ...base, secret_id: event.secretId, rotation_id: event.token, step: event.step };
    const ctx: StrategyContext = {
      secretId: event.secretId,
      rotationId: event.token,
      secrets,
      logger: {
        debug: (message, extra) => logger.debug(message, { ...fields, ...extra }),
        info: (message, extra) => logger.info(message, { ...fields, ...extra }),
        warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
      },
    };

    try {
      const result = await runStep(event, ctx, tracker, deps);
      const duration_ms = Math.round(now() - started);
      logger.info(`${event.step} ${result.outcome}`, {
        ...fields,
        outcome: result.outcome,
        duration_ms,
        ...(result.identity === undefined ? {} : { key_fingerprint: fingerprint(result.identity) }),
      });
      metrics.recordStep(event.step, 'success', duration_ms);
      // Secrets Manager re-invokes finishSecret only after a failed attempt, so an
      // `already-current` finish is the completion of that rotation, and counts as its success.
      if (event.step === 'finishSecret') metrics.recordRotation('success');
    } catch (error) {
      const safe = redactError(error, tracker.values);
      const duration_ms = Math.round(now() - started);
      logger.error(`${event.step} failed`, {
        ...fields,
        outcome: 'failure',
        reason: redact(`${safe.name}: ${safe.message}`, tracker.values),
        duration_ms,
      });
      metrics.recordStep(event.step, 'failure', duration_ms);
      metrics.recordRotation('failure');
      throw safe;
    }
  };
}

async function runStep<S>(
  event: RotationEvent,
  ctx: StrategyContext,
  tracker: SecretTracker<S>,
  deps: RotationHandlerDeps<S>,
): Promise<StepResult> {
  const { secrets, strategy } = deps;
  const meta = await secrets.describe(event.secretId);
  const secretId = meta.arn;

  if (event.step === 'testSecret' && !(event.token in meta.versions)) {
    // RotateImmediately=false: Secrets Manager tests the configuration with a token that is not a
    // version of the secret. Prove the function can reach the target with the current
    // credential, and change nothing.
    const current = await readCurrent(secretId, meta, tracker, secrets);
    await strategy.test(current, ctx);
    return { outcome: 'configuration-tested', identity: strategy.identify(current) };
  }

  const stages = guard(event, meta);
  if (stages.includes(STAGE.current)) {
    if (event.step === 'finishSecret' && stages.includes(STAGE.pending)) {
      // A previous finishSecret moved AWSCURRENT and failed before clearing AWSPENDING.
      await secrets.removeStage(secretId, STAGE.pending, event.token);
    }
    return { outcome: 'already-current' };
  }

  switch (event.step) {
    case 'createSecret':
      return createSecret(event, secretId, meta, ctx, tracker, deps);
    case 'setSecret': {
      const pending = await readPending(secretId, event.token, tracker, secrets);
      const current = await readCurrent(secretId, meta, tracker, secrets);
      await strategy.set(pending, current, previousReader(secretId, meta, tracker, deps), ctx);
      return { outcome: 'success', identity: strategy.identify(pending) };
    }
    case 'testSecret': {
      const pending = await readPending(secretId, event.token, tracker, secrets);
      await strategy.test(pending, ctx);
      return { outcome: 'success', identity: strategy.identify(pending) };
    }
    case 'finishSecret': {
      const currentVersion = versionWith(meta, STAGE.current);
      await secrets.moveStage(secretId, STAGE.current, event.token, currentVersion);
      await secrets.removeStage(secretId, STAGE.pending, event.token);
      return { outcome: 'success' };
    }
  }
}

/** The stage guard: returns the token's labels, or throws when the step must not run. */
function guard(event: RotationEvent, meta: SecretMetadata): readonly string[] {
  if (!meta.rotationEnabled) {
    throw new RotationStateError(`rotation is not enabled for secret ${meta.arn}`);
  }
  const stages = meta.versions[event.token];
  if (stages === undefined) {
    throw new RotationStateError(`version ${event.token} is not a version of secret ${meta.arn}`);
  }
  if (!stages.includes(STAGE.current) && !stages.includes(STAGE.pending)) {
    throw new RotationStateError(
      `version ${event.token} of secret ${meta.arn} is not staged AWSPENDING (labels: ${stages.join(', ') || 'none'})`,
    );
  }
  return stages;
}

async function createSecret<S>(
  event: RotationEvent,
  secretId: string,
  meta: SecretMetadata,
  ctx: StrategyContext,
  tracker: SecretTracker<S>,
  deps: RotationHandlerDeps<S>,
): Promise<StepResult> {
  const { secrets, strategy } = deps;
  const current = await readCurrent(secretId, meta, tracker, secrets);
  const existing = await secrets.getValue(secretId, { versionId: event.token });
  if (existing !== undefined) {
    // Idempotent: an earlier attempt already stored the pending value. Reuse it, never replace it.
    const pending = tracker.parse(existing, `pending version ${event.token}`);
    return { outcome: 'reused-pending', identity: strategy.identify(pending) };
  }
  const pending = await strategy.create(current, ctx, previousReader(secretId, meta, tracker, deps));
  tracker.values.push(...strategy.secretsOf(pending));
  await secrets.putPending(secretId, event.token, strategy.serialize(pending), event.rotationToken);
  return { outcome: 'success', identity: strategy.identify(pending) };
}

function versionWith(meta: SecretMetadata, stage: string): string | undefined {
  return Object.entries(meta.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

async function readCurrent<S>(
  secretId: string,
  meta: SecretMetadata,
  tracker: SecretTracker<S>,
  secrets: SecretsPort,
): Promise<S> {
  const versionId = versionWith(meta, STAGE.current);
  const raw = versionId === undefined ? undefined : await secrets.getValue(secretId, { versionId });
  if (raw === undefined) {
    throw new RotationStateError(`secret ${secretId} has no AWSCURRENT value`);
  }
  return tracker.parse(raw, `AWSCURRENT version ${versionId}`);
}

async function readPending<S>(
  secretId: string,
  token: string,
  tracker: SecretTracker<S>,
  secrets: SecretsPort,
): Promise<S> {
  const raw = await secrets.getValue(secretId, { versionId: token });
  if (raw === undefined) {
    throw new RotationStateError(
      `version ${token} of secret ${secretId} has no value: createSecret has not run`,
    );
  }
  return tracker.parse(raw, `AWSPENDING version ${token}`);
}

/** A {@link PreviousReader}: reads AWSPREVIOUS on the first call only, and only if asked. */
function previousReader<S>(
  secretId: string,
  meta: SecretMetadata,
  tracker: SecretTracker<S>,
  deps: RotationHandlerDeps<S>,
): PreviousReader<S> {
  let previous: Promise<S | undefined> | undefined;
  return () => {
    previous ??= readPrevious(secretId, meta, tracker, deps);
    return previous;
  };
}

/**
 * The AWSPREVIOUS value, read only when the label exists. A previous value that no longer parses
 * (an older format, a manual edit) is not a reason to fail the rotation: it is skipped, with a
 * warning.
 */
async function readPrevious<S>(
  secretId: string,
  meta: SecretMetadata,
  tracker: SecretTracker<S>,
  { secrets, logger }: RotationHandlerDeps<S>,
): Promise<S | undefined> {
  const versionId = versionWith(meta, STAGE.previous);
  if (versionId === undefined) return undefined;
  const raw = await secrets.getValue(secretId, { versionId });
  if (raw === undefined) return undefined;
  try {
    return tracker.parse(raw, `AWSPREVIOUS version ${versionId}`);
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    logger.warn('AWSPREVIOUS value ignored: it does not parse', {
      secret_id: secretId,
      step: 'setSecret',
      reason: error.message,
    });
    return undefined;
  }
}
